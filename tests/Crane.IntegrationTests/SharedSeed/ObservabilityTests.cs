using System.Net;
using System.Text.RegularExpressions;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed partial class ObservabilityTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Every_metric_passes_promtool_check_metrics_and_has_help_and_type()
    {
        var name = Specs.UniqueName("hygiene");
        try
        {
            // A running replica brings the per-replica families (probes, container stats, limits) into the output.
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            await Converge.AllReadyAsync(_crane, name, 1);
            var text = await Wait.Until(_crane.Api.MetricsAsync, t => t.Contains("crane_container_cpu_seconds_total{", StringComparison.Ordinal),
                TimeSpan.FromSeconds(20), "the container stats of the replica should be exported", t => t.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

            var lint = await ProcessRunner.RunAsync("promtool", ["check", "metrics"], TimeSpan.FromSeconds(30), stdin: text);

            var said = (lint.Stdout + lint.Stderr).Trim();
            Assert.True(lint.ExitCode == 0 && said.Length == 0, $"promtool check metrics (exit {lint.ExitCode}):\n{said}");
            var families = PrometheusText.DeclaredNames(text).Where(n => n.StartsWith("crane_", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(families);
            Assert.All(families, f => Assert.Contains($"# HELP {f} ", text));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Metrics_ExposeWorkloadAndSchedulingSeries()
    {
        var name = Specs.UniqueName("metrics");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
            await Converge.AllReadyAsync(_crane, name, 2);

            var text = await Wait.Until(
                _crane.Api.MetricsAsync,
                t => Value(t, "crane_workload_replicas_desired", name) == 2 && Value(t, "crane_workload_replicas_ready", name) == 2,
                TimeSpan.FromSeconds(10),
                $"replica gauges of {name} should read desired 2, ready 2",
                t => string.Join('\n', t.Split('\n').Where(l => l.Contains(name, StringComparison.Ordinal))));

            var samples = PrometheusText.Parse(text);
            Assert.True(samples.Where(s => s.Name == "crane_scheduling_attempts_total" && s.Labels.GetValueOrDefault("result") == "scheduled").Sum(s => s.Value) >= 2,
                "crane_scheduling_attempts_total{result=\"scheduled\"} should count at least this workload's 2 placements");
            Assert.True(samples.Where(s => s.Name == "crane_scheduling_duration_seconds_count").Sum(s => s.Value) >= 2,
                "crane_scheduling_duration_seconds should have observed the placements");
            var declared = PrometheusText.DeclaredNames(text);
            foreach (var metric in new[] { "crane_workload_replicas_desired", "crane_workload_replicas_ready", "crane_scheduling_attempts_total",
                         "crane_scheduling_duration_seconds", "crane_container_restarts_total" })
                Assert.Contains(metric, declared);
            Assert.All(samples.Where(s => s.Name.StartsWith("crane_", StringComparison.Ordinal)), s => Assert.Matches(MetricName(), s.Name));

            var deleted = await _crane.Api.DeleteAsync(name);
            Assert.Equal(HttpStatusCode.OK, deleted.Status);
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => Value(t, "crane_workload_replicas_desired", name) is null,
                TimeSpan.FromSeconds(10),
                $"a deleted workload's series should disappear from /metrics",
                t => string.Join('\n', t.Split('\n').Where(l => l.Contains(name, StringComparison.Ordinal))));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Healthz_IsOk_and_names_the_singletons_event_log_and_node_running_here()
    {
        // The all-in-one seed hosts every singleton, the event log and the node: /healthz watches each of them.
        var health = await Wait.Until(() => _crane.Api.SendAsync(HttpMethod.Get, "/healthz"),
            h => h.Status == HttpStatusCode.OK && new[] { "\"scheduler\"", "\"policy\"", "\"event-log\"", "\"node\"" }.All(n => h.Body.Contains(n, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "/healthz should be 200 and list scheduler, policy, event-log and node as running", h => h.ToString());
        Assert.Contains("\"status\":\"ok\"", health.Body, StringComparison.Ordinal);
        var ready = await _crane.Api.SendAsync(HttpMethod.Get, "/readyz");
        Assert.True(ready.Status == HttpStatusCode.OK, $"/readyz: {ready}");
    }

    [Fact]
    public async Task Cluster_ListsOneUpMemberWithControlAndWorkerRoles()
    {
        var cluster = await _crane.Api.ClusterAsync();
        var members = cluster.GetProperty("members").EnumerateArray().ToList();
        var member = Assert.Single(members);
        Assert.Equal("Up", member.GetProperty("status").GetString());
        var roles = member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Contains("control", roles);
        Assert.Contains("worker", roles);
        var address = member.GetProperty("address").GetString();
        Assert.EndsWith($":{_crane.AkkaPort}", address, StringComparison.Ordinal);
        Assert.Equal(address, cluster.GetProperty("leader").GetString());
    }

    [Fact]
    public async Task Nodes_ListThisSeedAsOneReadyDockerNode()
    {
        var nodes = await _crane.Api.NodesAsync();
        var node = Assert.Single(nodes);
        Assert.Equal(_crane.NodeName, node.Name);
        Assert.Equal("Ready", node.Status);
        Assert.Equal(2, node.Capacity.Cpu);
        Assert.Equal(4L * 1024 * 1024 * 1024, node.Capacity.Memory);
        Assert.Contains("docker", node.Runtimes);
        Assert.EndsWith($":{_crane.AkkaPort}", node.Address, StringComparison.Ordinal);
    }

    private static double? Value(string metrics, string name, string workload)
    {
        var matching = PrometheusText.Parse(metrics).Where(s => s.Name == name && s.Labels.GetValueOrDefault("workload") == workload).ToList();
        return matching.Count == 0 ? null : matching.Sum(s => s.Value);
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();
}
