using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>Seeds sharing PostgreSQL: state survives any process, and the singletons move when their seed dies.</summary>
[Collection(MultiNodeCollection.Name)]
[Trait("Category", MultiNodeCollection.Category)]
public sealed class PostgresClusterTests(ITestOutputHelper output)
{
    private readonly ClusterTestLog _log = new(output);

    [Fact]
    public async Task TwoSeeds_KillTheOldest_SingletonsMove_AndTheOtherSeedKeepsReconciling()
    {
        await using var postgres = await PostgresDev.StartAsync();
        _log.Phase($"PostgreSQL on 127.0.0.1:{postgres.Port}");
        await using var cluster = await CraneCluster.StartAsync(new CraneClusterOptions
        {
            Seeds = 2,
            NodeZones = ["a", "b"],
            PostgresConnectionString = postgres.ConnectionString,
        });
        _log.Phase("2 seeds + 2 nodes Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var (seedA, seedB) = (cluster.Seeds[0], cluster.Seeds[1]);
            var (addressA, addressB) = (CraneCluster.AkkaAddress(seedA), CraneCluster.AkkaAddress(seedB));
            var name = Specs.UniqueName("pgseed");
            await seedA.Api.ApplyOkAsync(Specs.Demo(name, 4));
            var before = await ClusterConverge.AllReadyAsync(seedA.Api, name, 4);
            _log.Phase("4 replicas ready (applied through seed A)");

            var view = await seedB.Api.ClusterAsync();
            Assert.Equal(addressA, view.GetProperty("singletons").GetProperty("scheduler").GetString());
            Assert.Equal(addressA, view.GetProperty("singletons").GetProperty("load-balancer").GetString());
            var roles = NodeFailoverTests.Members(view).ToDictionary(m => m.Address, m => m.Roles);
            Assert.Equal(new[] { "control" }, roles[addressA]);
            Assert.Equal(new[] { "control" }, roles[addressB]);

            await seedA.KillAsync();
            _log.Phase("SIGKILL seed A");
            var moved = await Wait.Until(
                () => seedB.Api.ClusterAsync(),
                v => v.GetProperty("singletons").GetProperty("scheduler").GetString() == addressB &&
                     v.GetProperty("singletons").GetProperty("load-balancer").GetString() == addressB &&
                     NodeFailoverTests.Members(v).All(m => m.Address != addressA),
                TimeSpan.FromSeconds(45),
                "the singletons should move to seed B once seed A is downed",
                v => v.ToString());
            var leader = moved.GetProperty("leader").GetString();
            Assert.True(leader != addressA && NodeFailoverTests.Members(moved).Any(m => m.Address == leader), $"the leader should be a live member: {moved}");
            _log.Phase("singletons on seed B");

            // The workload, recovered from PostgreSQL on seed B, still sees its running replicas, and obeys a scale.
            var recovered = await ClusterConverge.AllReadyAsync(seedB.Api, name, 4, timeout: TimeSpan.FromSeconds(60), context: "read through seed B");
            Assert.Equal(before.Replicas.Select(r => (r.Id, r.ContainerId)).Order(), ClusterConverge.Active(recovered).Select(r => (r.Id, r.ContainerId)).Order());
            Assert.Equal(before.Generation, recovered.Generation);
            await cluster.WaitWorkersReadyAsync(cluster.Nodes.Select(n => n.Name), seedB.Api);
            _log.Phase("workload and nodes seen through seed B");

            var scale = await seedB.Api.ScaleAsync(name, 6);
            Assert.True(scale.Status == HttpStatusCode.OK, $"scale through seed B: {scale}");
            var scaled = await ClusterConverge.AllReadyAsync(seedB.Api, name, 6, timeout: TimeSpan.FromSeconds(60), context: "scaled through seed B");
            await ClusterConverge.ContainerCountAsync(cluster, name, 6);
            Assert.All(cluster.Nodes, n => Assert.Equal(3, scaled.Replicas.Count(r => r.Node == n.Name)));
            _log.Phase("scaled to 6 through seed B");
        });
    }

    [Fact]
    public async Task AllInOneOnPostgres_KeepsWorkloadGenerationAndContainers_AcrossASigkillRestart()
    {
        await using var postgres = await PostgresDev.StartAsync();
        await using var cluster = await CraneCluster.StartAsync(new CraneClusterOptions
        {
            Seeds = 1,
            AllInOneSeeds = true,
            NodeZones = [],
            PostgresConnectionString = postgres.ConnectionString,
        });
        _log.Phase("all-in-one seed on PostgreSQL Ready");
        await _log.RunAsync(cluster, async () =>
        {
            var seed = cluster.Seeds[0];
            var name = Specs.UniqueName("pgstate");
            await seed.Api.ApplyOkAsync(Specs.Demo(name, 2));
            await ClusterConverge.AllReadyAsync(seed.Api, name, 2);
            // Some history: a rolling restart (generation 2), then a scale to 3.
            Assert.Equal(HttpStatusCode.OK, (await seed.Api.RestartAsync(name)).Status);
            await Wait.Until(() => seed.Api.GetExistingWorkloadAsync(name), w => w.Generation == 2 && ClusterConverge.Active(w).All(r => r.Generation == 2 && r.Ready) && w.ReadyReplicas == 2,
                Wait.Converge, "rolling restart to generation 2", w => w.Describe());
            Assert.Equal(HttpStatusCode.OK, (await seed.Api.ScaleAsync(name, 3)).Status);
            await ClusterConverge.AllReadyAsync(seed.Api, name, 3);
            var containers = await ClusterConverge.ContainerCountAsync(cluster, name, 3);
            var before = await Wait.Until(() => seed.Api.GetExistingWorkloadAsync(name), w => w.Replicas.Count == 3 && w.ReadyReplicas == 3,
                Wait.Converge, "the generation 1 replicas should be gone from the view", w => w.Describe());
            _log.Phase("generation 2, 3 replicas ready");

            // Nothing went to SQLite: the state can only come back from PostgreSQL.
            Assert.False(File.Exists(Path.Combine(seed.DataDir, "crane.db")), "with --persistence postgres there should be no SQLite journal");
            await seed.KillAsync();
            _log.Phase("SIGKILL");
            await cluster.RestartAsync(seed);
            _log.Phase("serving again");

            var after = await ClusterConverge.AllReadyAsync(seed.Api, name, 3);
            Assert.Equal(2, after.Generation);
            Assert.Equal(3, after.DesiredReplicas);
            Assert.All(after.Replicas, r => Assert.Equal(2, r.Generation));
            Assert.Equal(before.Replicas.Select(r => (r.Id, r.ContainerId)).Order(), after.Replicas.Select(r => (r.Id, r.ContainerId)).Order());
            Assert.Equal(containers, await DockerCli.WorkloadContainersAsync(cluster.TestId, name));
            _log.Phase("same workload, generation and containers");
        });
    }
}
