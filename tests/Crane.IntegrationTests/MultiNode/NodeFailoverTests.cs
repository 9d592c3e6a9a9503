using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>A node dies (SIGKILL) or freezes (SIGSTOP): its replicas run elsewhere, never twice at once.</summary>
[Collection(MultiNodeCollection.Name)]
[Trait("Category", MultiNodeCollection.Category)]
public sealed class NodeFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(45);
    private readonly ClusterTestLog _log = new(output);

    [Fact]
    public async Task KilledNode_ItsReplicasRunOnTheOtherNodes_AndNoReplicaEverRunsTwice()
    {
        await using var cluster = await CraneCluster.StartAsync();
        _log.Phase("1 seed + 3 nodes Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var api = cluster.Api;
            var name = Specs.UniqueName("failover");
            await api.ApplyOkAsync(Specs.Demo(name, 6));
            var before = await ClusterConverge.AllReadyAsync(api, name, 6);
            // spread: 6 replicas over 3 equal nodes is 2 each.
            foreach (var node in cluster.Nodes)
                Assert.True(before.Replicas.Count(r => r.Node == node.Name) == 2, $"expected 2 replicas on {node.Name}: {before.Describe()}");
            _log.Phase("6 replicas ready, 2 per node");

            var victim = cluster.NodeInZone("b");
            var lost = before.Replicas.Where(r => r.Node == victim.Name).ToList();
            var kept = before.Replicas.Where(r => r.Node != victim.Name).ToList();
            await using var watch = ReplicaContainerWatch.Start(cluster, name);
            await victim.KillAsync();
            _log.Phase($"SIGKILL {victim.Name}");

            var after = await ClusterConverge.AllReadyAsync(api, name, 6, r => r.Node != victim.Name, Failover, $"after SIGKILL of {victim.Name}");
            _log.Phase("6 ready on the other two nodes");
            var containers = await ClusterConverge.ContainerCountAsync(cluster, name, 6);
            var running = await ClusterConverge.RunningAsync(cluster, name);
            _log.Phase("6 containers left (the killed node's removed by its peers)");
            await watch.StopAsync();
            _log.Phase(watch.Summary());

            Assert.True(watch.Violations.Count == 0, $"a replica id ran in more than one container: {string.Join(" | ", watch.Violations)}");
            Assert.True(watch.Samples >= 5, $"too few docker ps samples to say anything: {watch.Summary()}");

            var active = ClusterConverge.Active(after);
            // The 4 replicas on the survivors were left alone; the 2 lost ones were replaced under new ids.
            Assert.Equal(kept.Select(r => (r.Id, r.ContainerId)).Order(), active.Where(r => kept.Any(k => k.Id == r.Id)).Select(r => (r.Id, r.ContainerId)).Order());
            var replacements = active.Where(r => kept.All(k => k.Id != r.Id)).ToList();
            Assert.Equal(2, replacements.Count);
            Assert.DoesNotContain(replacements, r => lost.Any(l => l.Id == r.Id));
            Assert.Equal(active.Select(r => r.ContainerId!).Order(StringComparer.Ordinal), containers);
            Assert.Equal(active.Select(r => r.Id).Order(StringComparer.Ordinal), running.Select(c => c.Replica).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(running, c => c.Node == victim.Name);

            // The lost replicas stay visible (state Lost) for a while, on the node they were on.
            foreach (var replica in lost)
                Assert.Contains(after.Replicas, r => r.Id == replica.Id && r.State == "Lost" && r.Node == victim.Name);

            var nodes = await api.NodesAsync();
            Assert.Equal("Down", nodes.Single(n => n.Name == victim.Name).Status);
            Assert.All(cluster.Nodes.Where(n => n != victim), n => Assert.Equal("Ready", nodes.Single(v => v.Name == n.Name).Status));

            var events = await Wait.Until(
                () => api.EventsAsync(),
                all => all.Any(e => e.Reason == "NodeLost" && e.Object.Name == victim.Name) &&
                       lost.All(l => all.Any(e => e.Reason == "Rescheduled" && e.Object.Name == l.Id)) &&
                       all.Any(e => e.Reason == "OrphansRemoved" && e.Object.Name == victim.Name),
                TimeSpan.FromSeconds(10),
                $"NodeLost for {victim.Name}, Rescheduled for {string.Join(", ", lost.Select(l => l.Id))} and OrphansRemoved expected",
                all => string.Join("\n", all.Where(e => e.Type == "Warning" || e.Object.Kind == "Node").Select(e => e.Describe())));
            var unreachable = events.FirstOrDefault(e => e.Reason == "NodeUnreachable" && e.Object.Name == victim.Name);
            var nodeLost = events.First(e => e.Reason == "NodeLost" && e.Object.Name == victim.Name);
            Assert.NotNull(unreachable);
            Assert.True(unreachable.Time <= nodeLost.Time, $"NodeUnreachable ({unreachable.Time:O}) should come before NodeLost ({nodeLost.Time:O})");
            Assert.All(events.Where(e => e.Reason == "Rescheduled" && lost.Any(l => l.Id == e.Object.Name)),
                e => Assert.Equal(name, e.Details?.GetValueOrDefault("workload")));
            _log.Phase($"events: NodeUnreachable {unreachable.Time:HH:mm:ss.fff}, NodeLost {nodeLost.Time:HH:mm:ss.fff}");
        });
    }

    [Fact]
    public async Task PausedNode_ShowsUnreachable_IsDowned_AndLeavesNoDuplicateWhenItResumes()
    {
        await using var cluster = await CraneCluster.StartAsync();
        _log.Phase("1 seed + 3 nodes Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var api = cluster.Api;
            var seed = cluster.Seeds[0];
            var seedAddress = CraneCluster.AkkaAddress(seed);
            var name = Specs.UniqueName("paused");
            await api.ApplyOkAsync(Specs.Demo(name, 6));
            var before = await ClusterConverge.AllReadyAsync(api, name, 6);
            _log.Phase("6 replicas ready");

            var victim = cluster.NodeInZone("c");
            var nodeViews = await api.NodesAsync();
            var victimAddress = "akka.tcp://crane@" + nodeViews.Single(n => n.Name == victim.Name).Address;

            // The cluster view: every member with its roles, all reachable, a leader, the singletons on the seed.
            var view = await api.ClusterAsync();
            var members = Members(view);
            Assert.Equal(4, members.Count);
            Assert.Equal(new[] { "control" }, members.Single(m => m.Address == seedAddress).Roles);
            foreach (var node in nodeViews.Where(n => cluster.Nodes.Any(c => c.Name == n.Name)))
                Assert.Equal(new[] { "worker" }, members.Single(m => m.Address == "akka.tcp://crane@" + node.Address).Roles);
            Assert.All(members, m => Assert.True(m.Reachable, $"{m.Address} should be reachable: {view}"));
            Assert.Contains(view.GetProperty("leader").GetString(), members.Select(m => m.Address));
            Assert.Equal(seedAddress, view.GetProperty("singletons").GetProperty("scheduler").GetString());
            Assert.Equal(seedAddress, view.GetProperty("singletons").GetProperty("load-balancer").GetString());

            await using var watch = ReplicaContainerWatch.Start(cluster, name);
            victim.Pause();
            _log.Phase($"SIGSTOP {victim.Name}");

            // Before the split-brain resolver downs it, the frozen node is a member that is not reachable.
            var unreachableView = await Wait.Until(
                () => api.ClusterAsync(),
                v => Members(v).Any(m => m.Address == victimAddress && !m.Reachable),
                TimeSpan.FromSeconds(20),
                $"{victimAddress} should be shown with reachable:false while paused",
                v => v.ToString());
            Assert.Contains(victimAddress, unreachableView.GetProperty("unreachable").EnumerateArray().Select(a => a.GetString()));
            _log.Phase("shown reachable:false in /api/v1/cluster");

            var after = await ClusterConverge.AllReadyAsync(api, name, 6, r => r.Node != victim.Name, Failover, $"while {victim.Name} is paused");
            await Wait.Until(() => api.NodesAsync(), n => n.Single(v => v.Name == victim.Name).Status == "Down", TimeSpan.FromSeconds(20),
                $"{victim.Name} should be Down", n => string.Join("; ", n.Select(v => v.Describe())));
            // Its containers kept running while it was frozen; the peers on the shared engine removed them.
            await ClusterConverge.ContainerCountAsync(cluster, name, 6);
            Assert.True(victim.IsRunning, $"{victim.Name} should still be there (paused): {victim.Describe()}");
            _log.Phase("downed; 6 ready on the other nodes; 6 containers");

            victim.Resume();
            _log.Phase($"SIGCONT {victim.Name}");
            Assert.True(await victim.ExitsWithinAsync(TimeSpan.FromSeconds(45)),
                $"{victim.Name} was downed while paused and should exit by itself after SIGCONT: {victim.Describe()}\n{victim.LogTail(80)}");
            _log.Phase($"{victim.Name} exited by itself (code {victim.ExitCode})");

            var expected = ClusterConverge.Active(await ClusterConverge.AllReadyAsync(api, name, 6, r => r.Node != victim.Name)).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
            var running = await Wait.Until(
                () => ClusterConverge.RunningAsync(cluster, name),
                r => r.Count == 6 && r.Select(c => c.Replica).Order(StringComparer.Ordinal).SequenceEqual(expected),
                TimeSpan.FromSeconds(20),
                $"exactly one running container per replica of {name} ({string.Join(", ", expected)})",
                ClusterConverge.DescribeRunning);
            Assert.DoesNotContain(running, c => c.Node == victim.Name);
            await ClusterConverge.ContainerCountAsync(cluster, name, 6);
            await watch.StopAsync();
            _log.Phase(watch.Summary());
            Assert.True(watch.Violations.Count == 0, $"a replica id ran in more than one container: {string.Join(" | ", watch.Violations)}");
            Assert.NotEqual(before.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal), expected);

            var afterView = await api.ClusterAsync();
            Assert.DoesNotContain(Members(afterView), m => m.Address == victimAddress && m.Status == "Up");
        });
    }

    internal sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable);

    internal static IReadOnlyList<MemberView> Members(JsonElement cluster) =>
        cluster.GetProperty("members").EnumerateArray()
            .Select(m => new MemberView(
                m.GetProperty("address").GetString()!,
                m.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToList(),
                m.GetProperty("status").GetString()!,
                m.GetProperty("reachable").GetBoolean()))
            .ToList();
}
