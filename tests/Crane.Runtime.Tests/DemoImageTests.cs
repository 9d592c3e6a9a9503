using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Crane.Runtime.Tests;

/// <summary>The demo app's HTTP contract, which probes, the load balancer and autoscaling demos rely on.</summary>
[Collection(DockerCollection.Name)]
public sealed class DemoImageTests(DockerFixture fixture, ITestOutputHelper output) : DockerTestBase(fixture)
{
    [Fact]
    public async Task Health_and_ready_switches_give_exact_status_codes_without_redirects()
    {
        var port = await StartAsync("switches");

        await AssertStatusAsync(port, "/health", HttpStatusCode.OK, "ok");
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health/", HttpStatusCode.NotFound);
        await AssertStatusAsync(port, "/nothing-here", HttpStatusCode.NotFound);

        await AssertStatusAsync(port, "/fail/health", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health", HttpStatusCode.InternalServerError);
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);

        await AssertStatusAsync(port, "/fail/ready", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/ready", HttpStatusCode.ServiceUnavailable);

        await AssertStatusAsync(port, "/recover", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health", HttpStatusCode.OK, "ok");
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_a_request_counter()
    {
        var port = await StartAsync("metrics");
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);

        using var response = await Http.GetAsync(Url(port, "/metrics"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE demo_requests_total counter", body);
        Assert.Contains("\ndemo_up 1\n", body);
        var counter = body.Split('\n').Single(l => l.StartsWith("demo_requests_total ", StringComparison.Ordinal));
        Assert.True(long.Parse(counter.Split(' ')[1]) >= 2, counter);
    }

    [Fact]
    public async Task Burn_answers_at_once_and_keeps_a_cpu_busy()
    {
        var port = await StartAsync("burn");

        var clock = Stopwatch.StartNew();
        await AssertStatusAsync(port, "/burn?seconds=3", HttpStatusCode.OK);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"/burn blocked for {clock.Elapsed}");
        await AssertStatusAsync(port, "/burn?seconds=abc", HttpStatusCode.BadRequest);

        var id = (await Runtime.ListAsync(TestLabels, default)).Single().Id;
        var (exitCode, processes) = await Cli.RunAsync("docker", ["top", id], Deadline);
        Assert.True(exitCode == 0, processes);
        Assert.Contains("md5sum /dev/zero", processes);
    }

    [Fact]
    public async Task Alloc_rejects_sizes_that_are_not_whole_numbers_up_to_48_with_400()
    {
        var port = await StartAsync("alloc");

        foreach (var query in new[] { "mb=abc", "mb=", "mb=-1", "mb=1.5", "mb=49", "mb=100000000000000000000" })
        {
            await AssertStatusAsync(port, $"/alloc?{query}", HttpStatusCode.BadRequest);
        }

        await AssertStatusAsync(port, "/alloc?mb=2", HttpStatusCode.OK, "holding 2 MB");
        await AssertStatusAsync(port, "/free", HttpStatusCode.OK, "freed");
    }

    [Fact]
    public async Task Serves_fifty_concurrent_connections_without_refusing()
    {
        var port = await StartAsync("load");
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);

        // Fresh connections each time, as a load balancer without keep-alive would open them.
        using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 100 };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        var clock = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(port, i % 2 == 0 ? "/" : "/health"));
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }));
        output.WriteLine($"200 requests, up to 100 in parallel: {clock.ElapsedMilliseconds} ms");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    private async Task<int> StartAsync(string suffix)
    {
        var info = await Runtime.RunAsync(DemoSpec(suffix), default);
        Assert.NotNull(info.HostPort);
        (await WaitForHttpAsync(info.HostPort.Value, "/")).Dispose();
        return info.HostPort.Value;
    }

    private static Uri Url(int port, string path) => new($"http://127.0.0.1:{port}{path}");

    private static async Task AssertStatusAsync(int port, string path, HttpStatusCode expected, string? body = null)
    {
        using var response = await Http.GetAsync(Url(port, path));
        Assert.True(expected == response.StatusCode, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}");
        if (body is not null)
        {
            Assert.Equal(body, (await response.Content.ReadAsStringAsync()).Trim());
        }
    }
}
