using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Crane.IntegrationTests;

/// <summary>A real crane-seed with a tokens file (viewer, deployer, admin).</summary>
public sealed class TokensSeedFixture : IAsyncLifetime
{
    public const string Viewer = "viewer-token-1";
    public const string Deployer = "deployer-token-1";
    public const string Admin = "admin-token-1";

    private readonly string _dir = Directory.CreateTempSubdirectory("crane-tokens-").FullName;
    private CraneProcess? _crane;

    public CraneProcess Crane => _crane ?? throw new InvalidOperationException("crane-seed did not start");

    public async Task InitializeAsync()
    {
        var file = Path.Combine(_dir, "tokens");
        await File.WriteAllLinesAsync(file, [$"ann viewer {Sha256(Viewer)}", $"ci deployer {Sha256(Deployer)}", $"root admin {Sha256(Admin)}"]);
        _crane = await CraneProcess.StartAsync(new CraneProcessOptions { ExtraArgs = ["--tokens-file", file], ApiToken = Admin });
    }

    public async Task DisposeAsync()
    {
        if (_crane is not null)
            await _crane.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Sha256(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

[Collection(OwnCraneCollection.Name)]
public sealed class ApiSecurityTests(TokensSeedFixture fixture) : IClassFixture<TokensSeedFixture>
{
    private const string Yaml = "application/yaml";
    private readonly CraneProcess _crane = fixture.Crane;

    /// <summary>Every write route of the API, with a body where it takes one.</summary>
    public static TheoryData<string, string, string?> Writes => new()
    {
        { "POST", "/api/v1/workloads", "name: sec-w\nimage: crane/demo:latest\n" },
        { "DELETE", "/api/v1/workloads/sec-w", null },
        { "POST", "/api/v1/workloads/sec-w/scale", """{"replicas": 2}""" },
        { "POST", "/api/v1/workloads/sec-w/restart", null },
        { "POST", "/api/v1/workloads/sec-w/rebalance", null },
        { "POST", "/api/v1/workloads/sec-w/replicas/abcdefgh/break", """{"switch": "ready"}""" },
        { "POST", "/api/v1/nodes/n1/cordon", null },
        { "POST", "/api/v1/nodes/n1/uncordon", null },
        { "POST", "/api/v1/nodes/n1/drain", null },
        { "PUT", "/api/v1/policies/sec-p", "package crane.admission\n" },
        { "DELETE", "/api/v1/policies/sec-p", null },
        { "PUT", "/api/v1/rules", "groups: []\n" },
        { "POST", "/api/v1/alerts", """{"version": "4", "alerts": []}""" },
    };

    public static TheoryData<string> Reads => new()
    {
        "/api/v1/workloads", "/api/v1/workloads/sec-w", "/api/v1/nodes", "/api/v1/nodes/n1", "/api/v1/cluster", "/api/v1/events",
        "/api/v1/events/stream", "/api/v1/policies", "/api/v1/policies/sec-p", "/api/v1/rules", "/api/v1/nothing-here",
    };

    private async Task<ApiResponse> Send(string? token, string method, string path, string? body, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var client = _crane.Api.As(token);
        return await client.SendAsync(new HttpMethod(method), path, body, path.Contains("policies", StringComparison.Ordinal) ? "text/plain" : body?.StartsWith('{') == true ? "application/json" : Yaml, headers);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Without_a_token_every_write_is_401_with_a_json_error(string method, string path, string? body)
    {
        var response = await Send(null, method, path, body);

        Assert.True(response.Status == HttpStatusCode.Unauthorized, $"{method} {path}: {response}");
        Assert.Contains("bearer token", response.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Without_a_token_every_read_is_401_and_a_wrong_token_too(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(null, "GET", path, null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send("guessed", "GET", path, null)).Status);
    }

    [Fact]
    public async Task Health_readiness_and_metrics_need_no_token()
    {
        foreach (var path in new[] { "/healthz", "/readyz", "/metrics" })
            Assert.Equal(HttpStatusCode.OK, (await Send(null, "GET", path, null)).Status);
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task A_viewer_reads_but_every_write_is_403(string method, string path, string? body)
    {
        Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Viewer, "GET", "/api/v1/workloads", null)).Status);

        var response = await Send(TokensSeedFixture.Viewer, method, path, body);

        Assert.True(response.Status == HttpStatusCode.Forbidden, $"{method} {path}: {response}");
        Assert.Contains("ann (role viewer) may not", response.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deployer_changes_workloads_but_not_policies_rules_or_nodes_and_an_admin_can()
    {
        var name = Specs.UniqueName("sec-dep");
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await Send(TokensSeedFixture.Deployer, "POST", "/api/v1/workloads", Specs.Demo(name, 1))).Status);
            Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Deployer, "POST", $"/api/v1/workloads/{name}/scale", """{"replicas": 2}""")).Status);

            var policy = "package crane.admission\n\nimport rego.v1\n\ndeny contains \"no\" if false\n";
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(TokensSeedFixture.Deployer, "PUT", "/api/v1/policies/sec-dep", policy)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(TokensSeedFixture.Deployer, "PUT", "/api/v1/rules", "groups: []\n")).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(TokensSeedFixture.Deployer, "POST", $"/api/v1/nodes/{_crane.NodeName}/cordon", null)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await Send(TokensSeedFixture.Deployer, "POST", "/api/v1/alerts", """{"version": "4", "alerts": []}""")).Status);

            Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Admin, "PUT", "/api/v1/policies/sec-dep", policy)).Status);
            Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Admin, "DELETE", "/api/v1/policies/sec-dep", null)).Status);
            Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Deployer, "DELETE", $"/api/v1/workloads/{name}", null)).Status);
        }
        finally
        {
            await Send(TokensSeedFixture.Admin, "DELETE", "/api/v1/policies/sec-dep", null);
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task The_policy_input_user_is_the_token_name_whatever_header_the_caller_sends()
    {
        var name = Specs.UniqueName("sec-user");
        const string policy = "package crane.admission\n\nimport rego.v1\n\ndeny contains sprintf(\"user %s may not deploy\", [input.user]) if input.user == \"ci\"\n";
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await Send(TokensSeedFixture.Admin, "PUT", "/api/v1/policies/sec-user", policy)).Status);

            var denied = await Send(TokensSeedFixture.Deployer, "POST", "/api/v1/workloads", Specs.Demo(name, 1), new Dictionary<string, string> { ["X-Crane-User"] = "root" });
            Assert.True(denied.Status == HttpStatusCode.Forbidden, denied.ToString());
            Assert.Contains("user ci may not deploy", denied.Body, StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.Created, (await Send(TokensSeedFixture.Admin, "POST", "/api/v1/workloads", Specs.Demo(name, 1))).Status);
        }
        finally
        {
            await Send(TokensSeedFixture.Admin, "DELETE", "/api/v1/policies/sec-user", null);
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task A_cross_site_post_stores_nothing()
    {
        var name = Specs.UniqueName("sec-csrf");
        var evil = new Dictionary<string, string> { ["Origin"] = "http://evil.example" };
        using var anonymous = _crane.Api.As(null);
        using var admin = _crane.Api.As(TokensSeedFixture.Admin);

        // What a page on another site can send: a "simple" text/plain POST without credentials...
        var simple = await anonymous.SendAsync(HttpMethod.Post, "/api/v1/workloads", Specs.Demo(name, 1), "text/plain", evil);
        Assert.Equal(HttpStatusCode.Unauthorized, simple.Status);
        // ...and, even holding a token, a write from another origin or as text/plain is refused.
        var withToken = await admin.SendAsync(HttpMethod.Post, "/api/v1/workloads", Specs.Demo(name, 1), "text/plain", evil);
        Assert.True(withToken.Status == HttpStatusCode.Forbidden, withToken.ToString());
        Assert.Contains("another origin (http://evil.example)", withToken.Body, StringComparison.Ordinal);
        var plain = await admin.SendAsync(HttpMethod.Post, "/api/v1/workloads", Specs.Demo(name, 1), "text/plain");
        Assert.True(plain.Status == HttpStatusCode.UnsupportedMediaType, plain.ToString());
        // DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own Host.
        var rebound = await admin.SendAsync(HttpMethod.Get, "/api/v1/workloads", headers: new Dictionary<string, string> { ["Host"] = "evil.example" });
        Assert.Equal(HttpStatusCode.BadRequest, rebound.Status);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.SendAsync(HttpMethod.Get, $"/api/v1/workloads/{name}")).Status);
        // The dashboard's own origin may write.
        var own = await admin.SendAsync(HttpMethod.Post, "/api/v1/workloads?dryRun=true", Specs.Demo(name, 1), Yaml,
            new Dictionary<string, string> { ["Origin"] = $"http://127.0.0.1:{_crane.HttpPort}" });
        Assert.True(own.Status == HttpStatusCode.OK, own.ToString());
    }

    [Fact]
    public async Task Hostile_specs_get_a_4xx_within_a_second_and_the_seed_stays_healthy()
    {
        using var admin = _crane.Api.As(TokensSeedFixture.Admin);
        // Warm the path once, so the bound below measures the refusal and not the first request's JIT.
        await admin.ApplyAsync("name: warm\n");
        var before = RssBytes(_crane.Pid);
        var hostile = new (string What, string Body, HttpStatusCode Status)[]
        {
            ("an alias bomb (10^9 entries once expanded)", AliasBomb(), HttpStatusCode.BadRequest),
            ("a 2 MiB spec", BigSpec(2 * 1024 * 1024), HttpStatusCode.RequestEntityTooLarge),
            ("a 20 MB spec (20,000 env vars of 1 KB)", BigSpec(20_000_000), HttpStatusCode.RequestEntityTooLarge),
            ("a name with a NUL byte", "name: \"a14\\0\"\nimage: crane/demo:latest\n", HttpStatusCode.BadRequest),
        };
        foreach (var (what, body, status) in hostile)
        {
            // As curl sends a large body: Expect: 100-continue lets the server refuse before the upload.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/workloads") { Content = new StringContent(body, Encoding.UTF8, Yaml) };
            request.Headers.ExpectContinue = body.Length > 1024 * 1024;
            var clock = Stopwatch.StartNew();
            using var response = await admin.Http.SendAsync(request);
            var answer = await response.Content.ReadAsStringAsync();
            clock.Stop();

            Assert.True(response.StatusCode == status, $"{what}: {response.StatusCode} {answer[..Math.Min(300, answer.Length)]}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"{what} took {clock.Elapsed.TotalMilliseconds:0} ms");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await admin.SendAsync(HttpMethod.Get, "/api/v1/workloads/a14")).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(HttpMethod.Get, "/healthz")).Status);
        var growth = RssBytes(_crane.Pid) - before;
        Assert.True(growth < 50L * 1024 * 1024, $"crane-seed grew by {growth / 1024 / 1024} MiB");
    }

    [Fact]
    public async Task More_workloads_than_max_workloads_is_a_409_and_stores_nothing()
    {
        // A seed of its own: the other tests' workloads would count towards the cap.
        await using var crane = await CraneProcess.StartAsync(new CraneProcessOptions { ExtraArgs = ["--max-workloads", "3"] });
        var admin = crane.Api;
        var names = Enumerable.Range(0, 3).Select(_ => Specs.UniqueName("sec-cap")).ToList();
        var extra = Specs.UniqueName("sec-cap");
        try
        {
            foreach (var name in names)
                Assert.Equal(HttpStatusCode.Created, (await admin.ApplyAsync(Specs.Demo(name, 0))).Status);

            var refused = await admin.ApplyAsync(Specs.Demo(extra, 0));

            Assert.True(refused.Status == HttpStatusCode.Conflict, refused.ToString());
            Assert.Contains("--max-workloads", refused.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.SendAsync(HttpMethod.Get, $"/api/v1/workloads/{extra}")).Status);
            // Updating one that exists is still fine.
            Assert.Equal(HttpStatusCode.OK, (await admin.ApplyAsync(Specs.Demo(names[0], 0))).Status);
        }
        finally
        {
            foreach (var name in names)
                await Converge.DeleteQuietlyAsync(crane, name);
        }
    }

    /// <summary>Nine levels of ten aliases each (90 aliases): 10^9 strings once expanded.</summary>
    private static string AliasBomb()
    {
        var yaml = new StringBuilder("name: bomb\nimage: crane/demo:latest\nlabels:\n  l0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var level = 1; level <= 9; level++)
            yaml.Append(CultureInfo.InvariantCulture, $"  l{level}: &l{level} [{string.Join(",", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        return yaml.ToString();
    }

    private static string BigSpec(int bytes)
    {
        var yaml = new StringBuilder("name: big\nimage: crane/demo:latest\nenv:\n");
        var value = new string('x', 1000);
        for (var i = 0; yaml.Length < bytes; i++)
            yaml.Append(CultureInfo.InvariantCulture, $"  VAR_{i}: {value}\n");
        return yaml.ToString();
    }

    private static long RssBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
