using Crane.Actors.Hosting;

namespace Crane.Actors.Tests;

public sealed class CraneOptionsTests
{
    private static readonly Dictionary<string, string?> NoEnv = new();

    [Fact]
    public void Flags_override_environment_and_defaults()
    {
        var env = new Dictionary<string, string?> { ["CRANE_HTTP_PORT"] = "9000", ["CRANE_NODE_NAME"] = "from-env" };
        var o = CraneOptions.Parse(["--http-port", "0", "--all-in-one", "--labels", "zone=a,disk=ssd", "--capacity-memory", "2Gi"], 4053, env);

        Assert.Equal(0, o.HttpPort);
        Assert.Equal("from-env", o.NodeName);
        Assert.True(o.AllInOne);
        Assert.Equal("ssd", o.Labels["disk"]);
        Assert.Equal(2L * 1024 * 1024 * 1024, o.CapacityMemory);
        Assert.Equal(4053, o.AkkaPort);
    }

    [Fact]
    public void The_process_runtime_needs_allow_process_runtime()
    {
        var refused = Assert.Throws<ArgumentException>(() => CraneOptions.Parse(["--runtime", "process"], 0, NoEnv));
        Assert.Contains("add --allow-process-runtime", refused.Message, StringComparison.Ordinal);

        Assert.Equal("process", CraneOptions.Parse(["--runtime", "process", "--allow-process-runtime"], 0, NoEnv).Runtime);
        Assert.Equal("process", CraneOptions.Parse(["--runtime", "process"], 0, new Dictionary<string, string?> { ["CRANE_ALLOW_PROCESS_RUNTIME"] = "true" }).Runtime);
    }

    [Fact]
    public void Http_binds_to_loopback_apart_from_the_akka_hostname()
    {
        var o = CraneOptions.Parse(["--hostname", "10.1.2.3"], 0, NoEnv);

        Assert.Equal("127.0.0.1", o.HttpBind);
        Assert.Equal("0.0.0.0", CraneOptions.Parse(["--http-bind", "0.0.0.0"], 0, NoEnv).HttpBind);
        Assert.Equal("http://127.0.0.1:8080", o.HttpListenUrl);
        Assert.Equal("http://[::1]:0", CraneOptions.Parse(["--http-bind", "::1", "--http-port", "0"], 0, NoEnv).HttpListenUrl);
    }

    [Fact]
    public void Seed_nodes_accept_host_port_and_full_addresses()
    {
        var o = CraneOptions.Parse(["--seed-nodes", "127.0.0.1:4053, akka.tcp://crane@127.0.0.1:4054"], 0, NoEnv);

        Assert.Equal(["akka.tcp://crane@127.0.0.1:4053", "akka.tcp://crane@127.0.0.1:4054"], o.SeedAddresses());
    }

    [Theory]
    [InlineData("--nope", "unknown flag --nope")]
    [InlineData("--http-port=abc", "--http-port: 'abc' is not a non-negative integer")]
    [InlineData("--runtime=podman", "--runtime: 'podman' is not one of docker, process, hollow")]
    [InlineData("--labels=zone", "--labels: 'zone' is not key=value")]
    [InlineData("--capacity-memory=lots", "--capacity-memory: 'lots' is not a memory quantity (e.g. 2Gi)")]
    public void Bad_flags_give_clear_messages(string arg, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => CraneOptions.Parse([arg], 0, NoEnv));
        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public void Prometheus_and_autoscaler_flags_have_kubernetes_like_defaults()
    {
        var o = CraneOptions.Parse([], 0, NoEnv);

        Assert.Null(o.PrometheusUrl);
        Assert.Equal(9090, o.PrometheusPort);
        Assert.Equal(TimeSpan.FromSeconds(5), o.ScrapeInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), o.AutoscalerSync);
        Assert.Equal(TimeSpan.FromSeconds(30), o.AutoscalerWindow);
        Assert.Equal(0.1, o.AutoscalerTolerance);
        Assert.Equal(TimeSpan.FromMinutes(5), o.CpuInitialization);
    }

    [Fact]
    public void Prometheus_and_autoscaler_flags_parse()
    {
        var o = CraneOptions.Parse(
        [
            "--prometheus-url", "http://127.0.0.1:9091/", "--prometheus-port=0", "--scrape-interval-seconds", "2",
            "--autoscaler-sync-seconds=1.5", "--autoscaler-window-seconds", "60", "--autoscaler-tolerance=0.25", "--cpu-initialization-seconds", "0",
        ], 0, NoEnv);

        Assert.Equal("http://127.0.0.1:9091", o.PrometheusUrl);
        Assert.Equal(0, o.PrometheusPort);
        Assert.Equal(TimeSpan.FromSeconds(2), o.ScrapeInterval);
        Assert.Equal(TimeSpan.FromSeconds(1.5), o.AutoscalerSync);
        Assert.Equal(TimeSpan.FromSeconds(60), o.AutoscalerWindow);
        Assert.Equal(0.25, o.AutoscalerTolerance);
        Assert.Equal(TimeSpan.Zero, o.CpuInitialization);
    }

    [Fact]
    public void The_prometheus_url_comes_from_the_environment_and_none_switches_metrics_off()
    {
        var fromEnv = CraneOptions.Parse([], 0, new Dictionary<string, string?> { ["CRANE_PROMETHEUS_URL"] = "https://prom.example:9090" });
        Assert.Equal("https://prom.example:9090", fromEnv.PrometheusUrl);

        var none = CraneOptions.Parse([], 0, new Dictionary<string, string?> { ["CRANE_PROMETHEUS_URL"] = CraneOptions.NoPrometheus });
        Assert.Equal("none", none.PrometheusUrl);

        var flagWins = CraneOptions.Parse(["--prometheus-url", "none"], 0, new Dictionary<string, string?> { ["CRANE_PROMETHEUS_URL"] = "http://127.0.0.1:9090" });
        Assert.Equal("none", flagWins.PrometheusUrl);

        var sync = CraneOptions.Parse([], 0, new Dictionary<string, string?> { ["CRANE_AUTOSCALER_SYNC_SECONDS"] = "3" });
        Assert.Equal(TimeSpan.FromSeconds(3), sync.AutoscalerSync);
    }

    [Fact]
    public void The_default_http_port_is_the_callers_unless_a_flag_or_the_environment_sets_it()
    {
        Assert.Equal(8080, CraneOptions.Parse([], 0, NoEnv).HttpPort);
        Assert.Equal(8090, CraneOptions.Parse([], 0, NoEnv, defaultHttpPort: 8090).HttpPort);
        Assert.Equal(9000, CraneOptions.Parse([], 0, new Dictionary<string, string?> { ["CRANE_HTTP_PORT"] = "9000" }, defaultHttpPort: 8090).HttpPort);
        Assert.Equal(0, CraneOptions.Parse(["--http-port", "0"], 0, NoEnv, defaultHttpPort: 8090).HttpPort);
    }

    [Theory]
    [InlineData("--autoscaler-sync-seconds=0.5", "autoscaler-sync-seconds")]
    [InlineData("--autoscaler-sync-seconds=0", "autoscaler-sync-seconds")]
    [InlineData("--autoscaler-sync-seconds=soon", "autoscaler-sync-seconds")]
    [InlineData("--scrape-interval-seconds=0", "scrape-interval-seconds")]
    [InlineData("--autoscaler-window-seconds=0.5", "autoscaler-window-seconds")]
    [InlineData("--autoscaler-tolerance=1", "autoscaler-tolerance")]
    [InlineData("--autoscaler-tolerance=1.5", "autoscaler-tolerance")]
    [InlineData("--autoscaler-tolerance=-0.1", "autoscaler-tolerance")]
    [InlineData("--autoscaler-tolerance=10%", "autoscaler-tolerance")]
    [InlineData("--cpu-initialization-seconds=-1", "cpu-initialization-seconds")]
    [InlineData("--prometheus-port=-1", "prometheus-port")]
    [InlineData("--prometheus-url=ftp://127.0.0.1:9090", "prometheus-url")]
    [InlineData("--prometheus-url=127.0.0.1:9090", "prometheus-url")]
    [InlineData("--prometheus-url=localhost:9090", "prometheus-url")]
    [InlineData("--prometheus-url=/prometheus", "prometheus-url")]
    [InlineData("--prometheus-url=None", "prometheus-url")]
    public void Bad_prometheus_and_autoscaler_values_name_their_flag(string arg, string flag)
    {
        var ex = Assert.Throws<ArgumentException>(() => CraneOptions.Parse([arg], 0, NoEnv));
        var value = arg[(arg.IndexOf('=') + 1)..];
        Assert.StartsWith($"--{flag}: '{value}' is not", ex.Message);
    }

    [Fact]
    public void A_bad_prometheus_url_in_the_environment_is_refused_too()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            CraneOptions.Parse([], 0, new Dictionary<string, string?> { ["CRANE_PROMETHEUS_URL"] = "prometheus:9090" }));
        Assert.StartsWith("--prometheus-url: 'prometheus:9090' is not an http(s) URL or 'none'", ex.Message);
    }

    [Theory]
    // Defaults: one decision (all modules, all nodes) gets 1,000,000 steps and 1 s.
    [InlineData(new string[0], 1_000_000, 1.0)]
    [InlineData(new[] { "--policy-max-steps=250000", "--policy-timeout-seconds=0.5" }, 250_000, 0.5)]
    public void Policy_decision_budget_flags_parse(string[] args, long steps, double seconds)
    {
        var o = CraneOptions.Parse(args, 0, NoEnv);

        Assert.Equal((steps, TimeSpan.FromSeconds(seconds)), (o.PolicyMaxSteps, o.PolicyTimeout));
    }

    [Theory]
    [InlineData("--policy-max-steps=0", "--policy-max-steps: '0' is not a positive integer")]
    [InlineData("--policy-max-steps=many", "--policy-max-steps: 'many' is not a positive integer")]
    [InlineData("--policy-timeout-seconds=0", "--policy-timeout-seconds: '0' is not a number of seconds")]
    public void Bad_policy_budget_flags_give_clear_messages(string arg, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => CraneOptions.Parse([arg], 0, NoEnv));
        Assert.StartsWith(message, ex.Message);
    }
}
