using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>
/// A crane-node serves its containers' CPU and memory on its own /metrics, like cAdvisor (issue 7), and the seed's Prometheus
/// scrapes it: every member announces its /metrics and lands in the crane job's file_sd targets.
/// </summary>
[Collection(MultiNodeCollection.Name)]
[Trait("Category", MultiNodeCollection.Category)]
public sealed class NodeMetricsTests(ITestOutputHelper output)
{
    private readonly ClusterTestLog _log = new(output);

    [Fact]
    public async Task A_node_exports_container_stats_of_its_replicas_and_the_seeds_prometheus_scrapes_it()
    {
        await using var cluster = await CraneCluster.StartAsync(new CraneClusterOptions { NodeZones = ["a"] });
        await _log.RunAsync(cluster, async () =>
        {
            var node = cluster.Nodes[0];
            var name = Specs.UniqueName("nodemetrics");
            await cluster.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var ready = await ClusterConverge.AllReadyAsync(cluster.Api, name, 1);
            var replica = ready.Replicas[0].Id;
            _log.Phase($"replica {replica} ready on {node.Name}");

            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
            var nodePort = int.Parse(await File.ReadAllTextAsync(Path.Combine(node.DataDir, "http.port")), CultureInfo.InvariantCulture);
            (string, string)[] labels = [("workload", name), ("replica", replica), ("node", node.Name)];
            var metrics = await Wait.Until(() => http.GetStringAsync($"http://127.0.0.1:{nodePort}/metrics"),
                m => PrometheusText.Sum(m, "crane_container_cpu_seconds_total", labels) > 0 &&
                     PrometheusText.Sum(m, "crane_container_memory_working_set_bytes", labels) > 0,
                TimeSpan.FromSeconds(20), $"{node.Name}'s /metrics should carry the cpu and memory of {name}/{replica}",
                m => string.Join('\n', m.Split('\n').Where(l => l.StartsWith("crane_container_", StringComparison.Ordinal))));
            Assert.Contains("# TYPE crane_container_cpu_seconds_total counter", metrics);
            Assert.Contains("# TYPE crane_container_memory_working_set_bytes gauge", metrics);

            var seed = cluster.Seeds[0];
            var prometheusPort = int.Parse(await File.ReadAllTextAsync(Path.Combine(seed.DataDir, "prometheus.port")), CultureInfo.InvariantCulture);
            await Wait.Until(async () =>
                {
                    using var doc = JsonDocument.Parse(await http.GetStringAsync(
                        $"http://127.0.0.1:{prometheusPort}/api/v1/query?query={Uri.EscapeDataString($"crane_container_cpu_seconds_total{{job=\"crane\",member=\"{node.Name}\",role=\"worker\"}}")}"));
                    return doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                        .Select(r => r.GetProperty("metric").GetProperty("replica").GetString()).ToList();
                },
                replicas => replicas.Contains(replica), TimeSpan.FromSeconds(45),
                $"the seed's Prometheus should scrape {node.Name} (job crane, member {node.Name}, role worker) and see {replica}",
                replicas => $"[{string.Join(", ", replicas)}]");
            _log.Phase("the node's container stats are in the seed's Prometheus");
        });
    }
}
