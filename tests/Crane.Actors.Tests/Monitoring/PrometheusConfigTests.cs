using System.Diagnostics;
using System.Text.Json.Nodes;
using Crane.Actors.Monitoring;
using YamlDotNet.RepresentationModel;

namespace Crane.Actors.Tests.Monitoring;

/// <summary>The rendered and the shipped config, checked by the real promtool (package prometheus).</summary>
public sealed class PrometheusConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crane-prom-config-").FullName;

    [Theory]
    [InlineData(5_000, "5s")]
    [InlineData(1_000, "1s")]
    [InlineData(60_000, "60s")]
    [InlineData(500, "500ms")]
    [InlineData(1_500, "1500ms")]
    public void Durations_render_as_prometheus_durations(int milliseconds, string expected) =>
        Assert.Equal(expected, PrometheusConfig.Duration(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    // Timeout = min(interval, 10s): Prometheus refuses a timeout longer than the interval.
    [InlineData(5, "scrape_interval: 5s", "scrape_timeout: 5s")]
    [InlineData(1, "scrape_interval: 1s", "scrape_timeout: 1s")]
    [InlineData(30, "scrape_interval: 30s", "scrape_timeout: 10s")]
    public void Scrape_timeout_never_exceeds_the_interval(int seconds, string interval, string timeout)
    {
        var yaml = PrometheusConfig.Render(TimeSpan.FromSeconds(seconds), ["127.0.0.1:8080"], "/t/replicas.json");
        Assert.Contains(interval, yaml);
        Assert.Contains(timeout, yaml);
    }

    [Fact]
    public void Renders_a_crane_job_and_a_file_sd_replicas_job()
    {
        var yaml = PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, ["127.0.0.1:8080", "127.0.0.1:8079", "127.0.0.1:8080"], "/data/targets/replicas.json");
        Assert.Contains("- job_name: crane", yaml);
        Assert.Contains("- targets: [\"127.0.0.1:8079\", \"127.0.0.1:8080\"]", yaml);
        Assert.Contains("- job_name: replicas", yaml);
        Assert.Contains("- files: [\"/data/targets/replicas.json\"]", yaml);
        Assert.Contains("refresh_interval: 5s", yaml);
    }

    [Fact]
    public void Targets_render_in_a_stable_order_with_their_labels()
    {
        ScrapeTarget[] targets =
        [
            new("10.0.0.2", 9100, "web", "web-b", "node-2"),
            new("10.0.0.1", 9100, "api", "api-a", "node-1"),
            new("10.0.0.1", 9101, "web", "web-a", "node-1"),
        ];

        var json = PrometheusConfig.RenderTargets(targets);

        Assert.Equal(json, PrometheusConfig.RenderTargets(targets.Reverse()));
        var groups = JsonNode.Parse(json)!.AsArray();
        Assert.Equal(["10.0.0.1:9100", "10.0.0.1:9101", "10.0.0.2:9100"], groups.Select(g => g!["targets"]![0]!.GetValue<string>()));
        Assert.Equal("web", groups[1]!["labels"]!["workload"]!.GetValue<string>());
        Assert.Equal("web-a", groups[1]!["labels"]!["replica"]!.GetValue<string>());
        Assert.Equal("node-1", groups[1]!["labels"]!["node"]!.GetValue<string>());
        Assert.Equal("[]\n", PrometheusConfig.RenderTargets([]));
    }

    /// <summary>The scrape config of one job, parsed (not matched as text): its keys say which discovery it uses.</summary>
    private static YamlMappingNode Job(string yaml, string job)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return ((YamlSequenceNode)root["scrape_configs"]).Children.Cast<YamlMappingNode>()
            .Single(j => ((YamlScalarNode)j["job_name"]).Value == job);
    }

    private static List<string?> Scalars(YamlNode sequence) => ((YamlSequenceNode)sequence).Children.Select(n => ((YamlScalarNode)n).Value).ToList();

    private static bool Has(YamlMappingNode node, string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    [Fact]
    public void With_a_members_file_the_crane_job_discovers_members_from_it()
    {
        var yaml = PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, [], "/data/targets/replicas.json", "/data/targets/crane.json");

        var crane = Job(yaml, "crane");
        Assert.False(Has(crane, "static_configs"), yaml);
        var sd = (YamlMappingNode)((YamlSequenceNode)crane["file_sd_configs"]).Children.Single();
        Assert.Equal(["/data/targets/crane.json"], Scalars(sd["files"]));
        Assert.Equal("5s", ((YamlScalarNode)sd["refresh_interval"]).Value);
        var replicas = (YamlMappingNode)((YamlSequenceNode)Job(yaml, "replicas")["file_sd_configs"]).Children.Single();
        Assert.Equal(["/data/targets/replicas.json"], Scalars(replicas["files"]));
    }

    [Fact]
    public void Static_self_targets_are_rendered_only_when_given()
    {
        var both = Job(PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, ["127.0.0.1:8080"], "/t/replicas.json", "/t/crane.json"), "crane");
        var statics = (YamlMappingNode)((YamlSequenceNode)both["static_configs"]).Children.Single();
        Assert.Equal(["127.0.0.1:8080"], Scalars(statics["targets"]));
        Assert.Equal(["/t/crane.json"], Scalars(((YamlMappingNode)((YamlSequenceNode)both["file_sd_configs"]).Children.Single())["files"]));

        // Without a members file the crane job keeps its (possibly empty) static list: a job needs some discovery.
        var withoutMembers = Job(PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, [], "/t/replicas.json"), "crane");
        Assert.Empty(((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)withoutMembers["static_configs"]).Children.Single())["targets"]).Children);
        Assert.False(Has(withoutMembers, "file_sd_configs"));
    }

    [Fact]
    public void Members_render_in_a_stable_order_labelled_member_and_role()
    {
        MemberTarget[] members =
        [
            new("127.0.0.1", 8082, "worker-2", "worker"),
            new("127.0.0.1", 8080, "seed-1", "control"),
            new("::1", 8081, "node-1", "control,worker"),
        ];

        var json = PrometheusConfig.RenderMembers(members);

        Assert.Equal(json, PrometheusConfig.RenderMembers(members.Reverse()));
        var groups = JsonNode.Parse(json)!.AsArray();
        Assert.Equal(["node-1", "seed-1", "worker-2"], groups.Select(g => g!["labels"]!["member"]!.GetValue<string>()));
        Assert.Equal(["control,worker", "control", "worker"], groups.Select(g => g!["labels"]!["role"]!.GetValue<string>()));
        Assert.Equal(["[::1]:8081", "127.0.0.1:8080", "127.0.0.1:8082"], groups.Select(g => Assert.Single(g!["targets"]!.AsArray())!.GetValue<string>()));
        Assert.All(groups, g => Assert.Equal(["member", "role"], g!["labels"]!.AsObject().Select(kv => kv.Key)));
        Assert.Equal("[]\n", PrometheusConfig.RenderMembers([]));
    }

    [Fact]
    public async Task The_rendered_config_with_members_and_replicas_files_passes_promtool()
    {
        var targets = Path.Combine(_dir, "replicas.json");
        await File.WriteAllTextAsync(targets, PrometheusConfig.RenderTargets([new("127.0.0.1", 9100, "web", "web-1", "node-1")]));
        var members = Path.Combine(_dir, "crane.json");
        await File.WriteAllTextAsync(members, PrometheusConfig.RenderMembers([new("127.0.0.1", 8080, "seed-1", "control"), new("::1", 8081, "node-1", "worker")]));
        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, [], targets, members));

        var (exitCode, output) = await Promtool("check", "config", config);

        Assert.True(exitCode == 0, $"promtool check config failed: {output}");
        Assert.DoesNotContain("WARNING", output);
        // promtool read both file_sd files; a members file it could not parse fails the check.
        await File.WriteAllTextAsync(members, "[{\"targets\": \"127.0.0.1:8080\"}]");
        var (badExit, badOutput) = await Promtool("check", "config", config);
        Assert.True(badExit != 0, $"promtool accepted a malformed members file: {badOutput}");
    }

    [Fact]
    public void Ipv6_hosts_are_bracketed() => Assert.Equal("[::1]:9100", PrometheusConfig.Address("::1", 9100));

    [Fact]
    public async Task The_rendered_config_and_targets_pass_promtool()
    {
        var targets = Path.Combine(_dir, "replicas.json");
        await File.WriteAllTextAsync(targets, PrometheusConfig.RenderTargets([new("127.0.0.1", 9100, "web", "web-1", "node-1")]));
        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, ["127.0.0.1:8080"], targets));

        var (exitCode, output) = await Promtool("check", "config", config);

        Assert.True(exitCode == 0, $"promtool check config failed: {output}");
        Assert.DoesNotContain("WARNING", output);
    }

    [Fact]
    public async Task Promtool_rejects_a_url_as_a_self_target()
    {
        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, PrometheusConfig.Render(PrometheusConfig.DefaultScrapeInterval, ["http://127.0.0.1:8080/metrics"], Path.Combine(_dir, "t.json")));

        var (exitCode, output) = await Promtool("check", "config", config);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("not a valid hostname", output);
    }

    [Fact]
    public async Task The_shipped_config_passes_promtool()
    {
        var config = Path.Combine(RepoRoot(), "deploy", "prometheus", "prometheus.yml");

        var (exitCode, output) = await Promtool("check", "config", config);

        Assert.True(exitCode == 0, $"promtool check config {config} failed: {output}");
        Assert.DoesNotContain("WARNING", output);
    }

    internal static Task<(int ExitCode, string Output)> Promtool(params string[] args) => Tool("promtool", args);

    /// <summary>Runs a command-line tool (promtool, amtool) and returns its exit code and stdout + stderr.</summary>
    internal static async Task<(int ExitCode, string Output)> Tool(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"no Crane.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
