using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Monitoring;
using Crane.Contracts.Messages;

namespace Crane.Actors.Tests.Monitoring;

/// <summary>Against a real Prometheus (package prometheus) scraping a real HTTP /metrics endpoint on loopback.</summary>
public sealed class PrometheusActorTests : TestKit, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("crane-prom-test-").FullName;
    private readonly int _port = LoopbackMetricsServer.FreePort();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly LoopbackMetricsServer _metrics = new(_ => "# TYPE demo_up gauge\ndemo_up 1\n");
    private readonly HashSet<int> _pids = [];
    private string _lastAnswer = "(nothing yet)";

    public PrometheusActorTests() : base(TestConfig.Cluster)
    {
    }

    private string SelfTarget => _metrics.Target;

    private IActorRef StartPrometheus(IReadOnlyList<string>? selfTargets = null, bool manage = true) =>
        Sys.ActorOf(PrometheusActor.Props(
            new PrometheusOptions(_dir, _port, selfTargets ?? [SelfTarget]) { ScrapeInterval = TimeSpan.FromSeconds(1), Retention = TimeSpan.FromHours(1), Manage = manage },
            new EventPublisher(Sys, TimeProvider.System)));

    private string ReplicasFile => Path.Combine(_dir, "targets", "replicas.json");

    private string MembersFile => Path.Combine(_dir, "targets", "crane.json");

    private static JsonArray Groups(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsArray();

    private static string Label(JsonNode? group, string label) => group!["labels"]![label]!.GetValue<string>();

    private async Task<PrometheusStatus> Status(IActorRef prometheus)
    {
        var status = await prometheus.Ask<PrometheusStatus>(GetPrometheus.Instance, TimeSpan.FromSeconds(5));
        if (status.Pid is { } pid)
            _pids.Add(pid);
        return status;
    }

    private async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out after {Deadline.TotalSeconds:0}s waiting until {what}; last answer: {_lastAnswer}; " +
                            $"prometheus log: {TryRead(Path.Combine(_dir, "prometheus.log"))}");
            await Task.Delay(200);
        }
    }

    private static string TryRead(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length > 4000 ? text[^4000..] : text;
        }
        catch (IOException)
        {
            return "(none)";
        }
    }

    private async Task<bool> Ready()
    {
        try
        {
            using var response = await _http.GetAsync($"http://127.0.0.1:{_port}/-/ready");
            _lastAnswer = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException e)
        {
            _lastAnswer = e.Message;
            return false;
        }
    }

    private async Task<JsonArray> ActiveTargets()
    {
        var json = await _http.GetStringAsync($"http://127.0.0.1:{_port}/api/v1/targets?state=active");
        _lastAnswer = json;
        return JsonNode.Parse(json)!["data"]!["activeTargets"]!.AsArray();
    }

    private async Task<IActorRef> StartReady(IReadOnlyList<string>? selfTargets = null)
    {
        var prometheus = StartPrometheus(selfTargets);
        await Eventually(async () => (await Status(prometheus)).Running, "Prometheus runs");
        await Eventually(Ready, "GET /-/ready answers 200");
        return prometheus;
    }

    [Fact]
    public async Task Starts_prometheus_on_its_loopback_port()
    {
        var prometheus = await StartReady();

        var status = await Status(prometheus);
        Assert.Equal($"http://127.0.0.1:{_port}", status.Url);
        Assert.True(status.Running);
        Assert.Contains("--web.enable-lifecycle", await File.ReadAllTextAsync($"/proc/{status.Pid}/cmdline"));
    }

    [Fact]
    public async Task A_replica_target_is_scraped_with_its_labels()
    {
        var prometheus = await StartReady();

        prometheus.Tell(new WorkloadMetricsTargets("demo", [new MetricsEndpoint("demo-1", "node-a", "127.0.0.1", _metrics.Port)]));

        await Eventually(async () => (await ActiveTargets()).Any(t =>
            t!["labels"]!["job"]!.GetValue<string>() == "replicas" &&
            t["labels"]!["workload"]?.GetValue<string>() == "demo" &&
            t["labels"]!["replica"]?.GetValue<string>() == "demo-1" &&
            t["labels"]!["node"]?.GetValue<string>() == "node-a" &&
            t["health"]!.GetValue<string>() == "up"), "the replica target is up with workload/replica/node labels");
        Assert.Equal(1, (await Status(prometheus)).Targets);
        await Eventually(async () =>
        {
            var json = await _http.GetStringAsync($"http://127.0.0.1:{_port}/api/v1/query?query=" + Uri.EscapeDataString("demo_up{job=\"replicas\",workload=\"demo\"}"));
            _lastAnswer = json;
            return JsonNode.Parse(json)!["data"]!["result"]!.AsArray().Count == 1;
        }, "demo_up of the replica is queryable");

        prometheus.Tell(new WorkloadMetricsTargets("demo", []));
        await Eventually(async () => !(await ActiveTargets()).Any(t => t!["labels"]!["job"]!.GetValue<string>() == "replicas"),
            "the replica target is gone once the replica is");
    }

    [Fact]
    public async Task Metrics_targets_of_two_workloads_merge_into_the_replicas_file_and_an_empty_set_removes_one()
    {
        var prometheus = await StartReady();

        prometheus.Tell(new WorkloadMetricsTargets("web", [new MetricsEndpoint("web-1", "node-a", "127.0.0.1", _metrics.Port), new MetricsEndpoint("web-2", "node-b", "127.0.0.1", _metrics.Port)]));
        prometheus.Tell(new WorkloadMetricsTargets("api", [new MetricsEndpoint("api-1", "node-a", "127.0.0.1", _metrics.Port)]));

        // The actor writes the file while handling each message, so once it answered a later Ask the file is there.
        Assert.Equal(3, (await Status(prometheus)).Targets);
        var merged = Groups(ReplicasFile);
        Assert.Equal(["api/api-1@node-a", "web/web-1@node-a", "web/web-2@node-b"],
            merged.Select(g => $"{Label(g, "workload")}/{Label(g, "replica")}@{Label(g, "node")}"));
        Assert.All(merged, g => Assert.Equal($"127.0.0.1:{_metrics.Port}", Assert.Single(g!["targets"]!.AsArray())!.GetValue<string>()));
        await Eventually(async () => (await ActiveTargets()).Count(t =>
            t!["labels"]!["job"]!.GetValue<string>() == "replicas" && t["health"]!.GetValue<string>() == "up") == 3,
            "Prometheus scrapes the three replica targets of both workloads");

        // A workload whose replicas all went away sends an empty set: its targets go, the other workload's stay.
        prometheus.Tell(new WorkloadMetricsTargets("api", []));
        Assert.Equal(2, (await Status(prometheus)).Targets);
        Assert.Equal(["web", "web"], Groups(ReplicasFile).Select(g => Label(g, "workload")));
        await Eventually(async () =>
        {
            var replicas = (await ActiveTargets()).Where(t => t!["labels"]!["job"]!.GetValue<string>() == "replicas").ToList();
            return replicas.Count == 2 && replicas.All(t => t!["labels"]!["workload"]!.GetValue<string>() == "web");
        }, "the api targets are gone and the web ones stay");
    }

    [Fact]
    public async Task A_member_announced_on_the_topic_is_scraped_in_the_crane_job_with_member_and_role()
    {
        // No static self target: the crane job's only target is the one a member announces.
        var prometheus = await StartReady(selfTargets: []);

        // Published on MetricsAnnouncer.Topic through the DistributedPubSub mediator, as every Crane process does.
        Sys.ActorOf(MetricsAnnouncer.Props(new MemberMetricsEndpoint("seed-1", "control", "127.0.0.1", _metrics.Port)));

        await Eventually(() => Task.FromResult(File.Exists(MembersFile) && Groups(MembersFile).Count == 1), "crane.json lists the member");
        var member = Assert.Single(Groups(MembersFile));
        Assert.Equal(("seed-1", "control"), (Label(member, "member"), Label(member, "role")));
        Assert.Equal($"127.0.0.1:{_metrics.Port}", Assert.Single(member!["targets"]!.AsArray())!.GetValue<string>());
        await Eventually(async () => (await ActiveTargets()).Any(t =>
            t!["labels"]!["job"]!.GetValue<string>() == "crane" &&
            t["labels"]!["member"]?.GetValue<string>() == "seed-1" &&
            t["labels"]!["role"]?.GetValue<string>() == "control" &&
            t["scrapeUrl"]!.GetValue<string>() == $"http://127.0.0.1:{_metrics.Port}/metrics" &&
            t["health"]!.GetValue<string>() == "up"), "the member's /metrics is an up target of the crane job labelled member and role");
        Assert.Equal(0, (await Status(prometheus)).Targets);
    }

    [Fact]
    public async Task Unmanaged_it_writes_the_config_and_target_files_but_starts_no_prometheus()
    {
        var prometheus = StartPrometheus(manage: false);
        // Once it answers, PreStart has run and its topic subscription reached the mediator ahead of the publish below.
        await Status(prometheus);

        prometheus.Tell(new WorkloadMetricsTargets("web", [new MetricsEndpoint("web-1", "node-a", "127.0.0.1", _metrics.Port)]));
        DistributedPubSub.Get(Sys).Mediator.Tell(new Publish(MetricsAnnouncer.Topic, new MemberMetricsEndpoint("node-1", "worker", "127.0.0.1", _metrics.Port)));

        await Eventually(() => Task.FromResult(File.Exists(MembersFile) && Groups(MembersFile).Count == 1), "crane.json lists the member");
        Assert.Equal(("node-1", "worker"), (Label(Groups(MembersFile)[0], "member"), Label(Groups(MembersFile)[0], "role")));
        Assert.Equal("web-1", Label(Assert.Single(Groups(ReplicasFile)), "replica"));
        var config = await File.ReadAllTextAsync(Path.Combine(_dir, "prometheus.yml"));
        Assert.Contains(MembersFile, config);
        Assert.Contains(ReplicasFile, config);
        var (exitCode, output) = await PrometheusConfigTests.Promtool("check", "config", Path.Combine(_dir, "prometheus.yml"));
        Assert.True(exitCode == 0, $"promtool check config failed: {output}");

        var status = await Status(prometheus);
        Assert.False(status.Running);
        Assert.Null(status.Pid);
        Assert.Null(status.LastError);
        Assert.False(File.Exists(Path.Combine(_dir, "prometheus.pid")));
        Assert.Empty(ProcessesUsing(_dir));
        Assert.False(await Ready());
    }

    /// <summary>Pids whose command line mentions <paramref name="dir"/> (a Prometheus started for this test would).</summary>
    private static List<int> ProcessesUsing(string dir)
    {
        var pids = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(proc, "cmdline")).Contains(dir, StringComparison.Ordinal))
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    [Fact]
    public async Task A_config_change_is_checked_and_a_bad_one_never_replaces_the_running_one()
    {
        var prometheus = await StartReady();
        var configPath = Path.Combine(_dir, "prometheus.yml");
        var good = await File.ReadAllTextAsync(configPath);

        // A URL is not a host:port; promtool refuses it.
        prometheus.Tell(new ConfigurePrometheus(TimeSpan.FromSeconds(2), ["http://127.0.0.1:1/metrics"]));
        await Eventually(async () => (await Status(prometheus)).LastError is not null, "the bad config was rejected");
        Assert.Contains("not a valid hostname", (await Status(prometheus)).LastError);
        Assert.Equal(good, await File.ReadAllTextAsync(configPath));
        Assert.Equal(0, (await Status(prometheus)).Reloads);
        Assert.True(await Ready());

        prometheus.Tell(new ConfigurePrometheus(TimeSpan.FromSeconds(2), [SelfTarget]));
        await Eventually(async () => (await Status(prometheus)).Reloads == 1, "the good config was reloaded");
        Assert.Null((await Status(prometheus)).LastError);
        await Eventually(async () =>
        {
            var json = await _http.GetStringAsync($"http://127.0.0.1:{_port}/api/v1/status/config");
            _lastAnswer = json;
            return JsonNode.Parse(json)!["data"]!["yaml"]!.GetValue<string>().Contains("scrape_interval: 2s", StringComparison.Ordinal);
        }, "the running Prometheus uses the new scrape interval");
    }

    [Fact]
    public async Task Restarts_prometheus_when_it_dies()
    {
        var prometheus = await StartReady();
        var first = (await Status(prometheus)).Pid!.Value;

        using (var process = Process.GetProcessById(first))
            process.Kill();

        await Eventually(async () => (await Status(prometheus)) is { Running: true, Pid: { } pid } && pid != first, "a new Prometheus replaced the killed one");
        await Eventually(Ready, "the new Prometheus is ready");
        Assert.Contains("exited", (await Status(prometheus)).LastError);
    }

    [Fact]
    public async Task Stopping_the_actor_stops_its_prometheus()
    {
        var prometheus = await StartReady();
        var pid = (await Status(prometheus)).Pid!.Value;

        Watch(prometheus);
        Sys.Stop(prometheus);
        ExpectTerminated(prometheus, TimeSpan.FromSeconds(20));

        await Eventually(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), $"prometheus {pid} exited");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        // Whatever the test's outcome: no Prometheus of this test outlives it. Only pids we saw, and only if still ours.
        foreach (var pid in _pids)
        {
            try
            {
                var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
                if (!cmdline.Contains(_dir, StringComparison.Ordinal))
                    continue;
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
            {
            }
        }

        _metrics.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
