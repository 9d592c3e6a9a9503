using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>Drain, cordon and rebalance: replicas move only when an operator asks, one at a time, never below the desired count.</summary>
[Collection(MultiNodeCollection.Name)]
[Trait("Category", MultiNodeCollection.Category)]
public sealed class NodePlacementTests(ITestOutputHelper output)
{
    private readonly ClusterTestLog _log = new(output);

    [Fact]
    public async Task Drain_MovesReplicasOffOneByOne_Cordon_KeepsNewOnesAway_Uncordon_MakesTheNodeReady()
    {
        await using var cluster = await CraneCluster.StartAsync();
        _log.Phase("1 seed + 3 nodes Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var api = cluster.Api;
            var name = Specs.UniqueName("drain");
            await api.ApplyOkAsync(Specs.Demo(name, 6));
            var before = await ClusterConverge.AllReadyAsync(api, name, 6);
            _log.Phase("6 replicas ready");
            var (a, b, c) = (cluster.NodeInZone("a"), cluster.NodeInZone("b"), cluster.NodeInZone("c"));
            Assert.Equal(2, before.Replicas.Count(r => r.Node == a.Name));

            Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Post, "/api/v1/nodes/no-such-node/drain")).Status);
            var drain = await api.SendAsync(HttpMethod.Post, $"/api/v1/nodes/{a.Name}/drain");
            Assert.Equal(HttpStatusCode.OK, drain.Status);
            Assert.Equal("Draining", Deserialize<NodeDto>(drain).Status);
            _log.Phase($"drain {a.Name} answered Draining");

            // Poll while it drains: readyReplicas never below 6, at most one replacement at a time (maxSurge 1).
            var statuses = new List<string> { Deserialize<NodeDto>(drain).Status };
            var minReady = int.MaxValue;
            var maxActive = 0;
            var drained = await Wait.Until(
                async () =>
                {
                    var w = await api.GetExistingWorkloadAsync(name);
                    var status = (await api.NodesAsync()).Single(n => n.Name == a.Name).Status;
                    if (statuses.Count == 0 || statuses[^1] != status)
                        statuses.Add(status);
                    minReady = Math.Min(minReady, w.ReadyReplicas);
                    maxActive = Math.Max(maxActive, ClusterConverge.Active(w).Count);
                    return (Workload: w, Status: status);
                },
                s => s.Status == "Cordoned" && s.Workload.ReadyReplicas == 6 && ClusterConverge.Active(s.Workload) is var active && active.Count == 6 &&
                     active.All(r => r.Ready && r.Node != a.Name) && s.Workload.Replicas.All(r => r.Node != a.Name),
                TimeSpan.FromSeconds(60),
                $"{a.Name} should end Cordoned with no replica of {name} left on it",
                s => $"{a.Name} {s.Status}; {s.Workload.Describe()}");
            _log.Phase($"drained: {a.Name} statuses {string.Join(" → ", statuses)}, min ready {minReady}, max active {maxActive}");
            Assert.True(minReady >= 6, $"readyReplicas fell to {minReady} during the drain");
            Assert.True(maxActive <= 7, $"{maxActive} replicas at once: the drain should move one at a time (6 + 1)");
            Assert.Equal(new[] { "Draining", "Cordoned" }, statuses);
            Assert.Equal(
                before.Replicas.Where(r => r.Node != a.Name).Select(r => r.Id).Order(StringComparer.Ordinal),
                drained.Workload.Replicas.Where(r => before.Replicas.Any(p => p.Id == r.Id)).Select(r => r.Id).Order(StringComparer.Ordinal));
            Assert.Empty(await DockerCli.PsAsync([cluster.ContainerLabel, $"crane.workload={name}", $"crane.node={a.Name}"], all: false));
            Assert.Equal(0, (await api.NodesAsync()).Single(n => n.Name == a.Name).Replicas);

            // a and c cordoned: new replicas can only go to b (spread would otherwise prefer the empty a).
            var cordon = await api.SendAsync(HttpMethod.Post, $"/api/v1/nodes/{c.Name}/cordon");
            Assert.Equal(HttpStatusCode.OK, cordon.Status);
            Assert.Equal("Cordoned", Deserialize<NodeDto>(cordon).Status);
            var ids = drained.Workload.Replicas.Select(r => r.Id).ToHashSet();
            Assert.Equal(HttpStatusCode.OK, (await api.ScaleAsync(name, 8)).Status);
            var scaled = await ClusterConverge.AllReadyAsync(api, name, 8);
            var added = ClusterConverge.Active(scaled).Where(r => !ids.Contains(r.Id)).ToList();
            Assert.Equal(2, added.Count);
            Assert.All(added, r => Assert.Equal(b.Name, r.Node));
            _log.Phase($"scaled to 8 with {a.Name} and {c.Name} cordoned: both new replicas on {b.Name}");

            foreach (var node in new[] { a, c })
            {
                var uncordon = await api.SendAsync(HttpMethod.Post, $"/api/v1/nodes/{node.Name}/uncordon");
                Assert.Equal(HttpStatusCode.OK, uncordon.Status);
                Assert.Equal("Ready", Deserialize<NodeDto>(uncordon).Status);
            }

            Assert.All((await api.NodesAsync()).Where(n => cluster.Nodes.Any(m => m.Name == n.Name)), n => Assert.Equal("Ready", n.Status));
            // Uncordoned, the empty node is the spread strategy's first choice again: a has 0, b 5, c 3.
            Assert.Equal(HttpStatusCode.OK, (await api.ScaleAsync(name, 9)).Status);
            var nine = await ClusterConverge.AllReadyAsync(api, name, 9);
            Assert.Equal(a.Name, ClusterConverge.Active(nine).Single(r => scaled.Replicas.All(s => s.Id != r.Id)).Node);
            _log.Phase($"uncordoned: Ready, and the 9th replica went to {a.Name}");
        });
    }

    [Fact]
    public async Task NewNode_DoesNotMoveReplicasByItself_Rebalance_RePlacesThemOneAtATime()
    {
        await using var cluster = await CraneCluster.StartAsync(new CraneClusterOptions { NodeZones = ["a", "b"] });
        _log.Phase("1 seed + 2 nodes Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var api = cluster.Api;
            var name = Specs.UniqueName("rebal");
            await api.ApplyOkAsync(Specs.Demo(name, 6));
            var before = await ClusterConverge.AllReadyAsync(api, name, 6);
            var placement = Placement(before);
            _log.Phase("6 replicas ready on 2 nodes");

            var added = await cluster.AddNodeAsync("c");
            _log.Phase($"{added.Name} joined and is Ready");
            await Hold.For(
                () => api.GetExistingWorkloadAsync(name),
                w => Placement(w).SequenceEqual(placement) && w.ReadyReplicas == 6,
                TimeSpan.FromSeconds(5),
                "replicas must not move on their own when a node joins",
                w => w.Describe());
            _log.Phase("nothing moved for 5 s");

            var rebalance = await api.SendAsync(HttpMethod.Post, $"/api/v1/workloads/{name}/rebalance");
            Assert.Equal(HttpStatusCode.OK, rebalance.Status);
            Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Post, "/api/v1/workloads/no-such-workload/rebalance")).Status);

            var oldIds = before.Replicas.Select(r => r.Id).ToHashSet();
            var minReady = int.MaxValue;
            var maxActive = 0;
            var after = await Wait.Until(
                async () =>
                {
                    var w = await api.GetExistingWorkloadAsync(name);
                    minReady = Math.Min(minReady, w.ReadyReplicas);
                    maxActive = Math.Max(maxActive, ClusterConverge.Active(w).Count);
                    return w;
                },
                w => w.ReadyReplicas == 6 && ClusterConverge.Active(w) is var active && active.Count == 6 &&
                     active.All(r => r.Ready && !oldIds.Contains(r.Id)) && w.Replicas.All(r => !oldIds.Contains(r.Id)),
                TimeSpan.FromSeconds(90),
                $"every replica of {name} should be re-placed under a new id",
                w => w.Describe());
            _log.Phase($"rebalanced: {string.Join(", ", Placement(after))}; min ready {minReady}, max active {maxActive}");
            Assert.True(minReady >= 6, $"readyReplicas fell to {minReady} during the rebalance");
            Assert.True(maxActive <= 7, $"{maxActive} replicas at once: a rebalance should move one at a time (6 + 1)");
            Assert.Contains(after.Replicas, r => r.Node == added.Name);
            Assert.Equal(6, after.DesiredReplicas);
            await ClusterConverge.ContainerCountAsync(cluster, name, 6);
        });
    }

    private static List<string> Placement(WorkloadDto w) =>
        w.Replicas.Select(r => $"{r.Id}@{r.Node}").Order(StringComparer.Ordinal).ToList();

    private static T Deserialize<T>(ApiResponse response) =>
        JsonSerializer.Deserialize<T>(response.Body, CraneClient.Json) ?? throw new InvalidOperationException($"empty body: {response}");
}
