using System.Net;
using System.Text.Json;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed class WorkloadLifecycleTests(SharedCraneFixture fixture)
{
    private const long Mi = 1024 * 1024;
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Apply_RunsReadyReplicasAsLabelledLimitedContainersServingOnLoopback()
    {
        var name = Specs.UniqueName("apply");
        try
        {
            var applied = await _crane.Api.ApplyAsync(Specs.Demo(name, 3, cpu: "0.2", memory: "48Mi"));
            Assert.True(applied.Status == HttpStatusCode.Created, $"first apply should be 201: {applied}");
            Assert.Equal(1, applied.Json.GetProperty("generation").GetInt64());
            Assert.True(applied.Json.GetProperty("created").GetBoolean());

            var workload = await Converge.AllReadyAsync(_crane, name, 3);
            Assert.Equal(3, workload.DesiredReplicas);
            Assert.Equal(3, workload.Replicas.Select(r => r.Id).Distinct().Count());

            var containers = await DockerCli.WorkloadContainersAsync(_crane.TestId, name);
            Assert.Equal(workload.Replicas.Select(r => r.ContainerId!).Order(StringComparer.Ordinal), containers);

            foreach (var replica in workload.Replicas)
            {
                Assert.Equal(_crane.NodeName, replica.Node);
                var (status, body) = await Loopback.GetAsync(replica.HostPort!.Value);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Contains($"host: {replica.ContainerId![..12]}", body, StringComparison.Ordinal);
                Assert.Contains($"replica: {replica.Id}", body, StringComparison.Ordinal);

                var c = await DockerCli.InspectAsync(replica.ContainerId);
                Assert.Equal($"/crane-{name}-{replica.Id}", c.GetProperty("Name").GetString());
                Assert.True(c.GetProperty("State").GetProperty("Running").GetBoolean(), $"container {replica.ContainerId} is not running");
                var labels = c.GetProperty("Config").GetProperty("Labels");
                Assert.Equal("true", Label(labels, "crane.managed"));
                Assert.Equal(name, Label(labels, "crane.workload"));
                Assert.Equal(replica.Id, Label(labels, "crane.replica"));
                Assert.Equal(_crane.NodeName, Label(labels, "crane.node"));
                Assert.Equal("1", Label(labels, "crane.generation"));
                Assert.Equal(_crane.TestId, Label(labels, "crane.test"));

                var host = c.GetProperty("HostConfig");
                Assert.True(host.GetProperty("Init").ValueKind == JsonValueKind.True, $"Init should be true, was {host.GetProperty("Init")}");
                Assert.False(host.GetProperty("Privileged").GetBoolean());
                Assert.Equal(200_000_000L, host.GetProperty("NanoCpus").GetInt64()); // cpu 0.2 = 0.2 * 1e9 nano-cpus
                Assert.Equal(48 * Mi, host.GetProperty("Memory").GetInt64());

                var bindings = c.GetProperty("NetworkSettings").GetProperty("Ports").GetProperty("8080/tcp").EnumerateArray().ToList();
                Assert.NotEmpty(bindings);
                Assert.All(bindings, b => Assert.Equal("127.0.0.1", b.GetProperty("HostIp").GetString()));
                Assert.Contains(bindings, b => b.GetProperty("HostPort").GetString() == replica.HostPort.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.True(c.GetProperty("NetworkSettings").GetProperty("Networks").TryGetProperty("crane", out _),
                    $"container should be on the user-defined network 'crane': {c.GetProperty("NetworkSettings").GetProperty("Networks")}");
            }
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Scale_ThreeToFiveToOne_ReplicasAndContainersFollow()
    {
        var name = Specs.UniqueName("scale");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 3));
            await Converge.AllReadyAsync(_crane, name, 3);
            await Converge.ContainerCountAsync(_crane, name, 3);

            var up = await _crane.Api.ScaleAsync(name, 5);
            Assert.True(up.Status == HttpStatusCode.OK, $"scale to 5: {up}");
            var five = await Converge.AllReadyAsync(_crane, name, 5);
            Assert.Equal(5, five.DesiredReplicas);
            Assert.Equal(1, five.Generation);
            var fiveContainers = await Converge.ContainerCountAsync(_crane, name, 5);
            Assert.Equal(five.Replicas.Select(r => r.ContainerId!).Order(StringComparer.Ordinal), fiveContainers);

            var down = await _crane.Api.ScaleAsync(name, 1);
            Assert.True(down.Status == HttpStatusCode.OK, $"scale to 1: {down}");
            var one = await Converge.AllReadyAsync(_crane, name, 1);
            Assert.Equal(1, one.DesiredReplicas);
            var left = await Converge.ContainerCountAsync(_crane, name, 1);
            Assert.Equal(one.Replicas[0].ContainerId, left[0]);
            Assert.Contains(left[0], fiveContainers);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task SpecChange_RollsEveryReplicaToTheNewGenerationWithoutLosingReadyReplicas()
    {
        var name = Specs.UniqueName("roll");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 3));
            var v1 = await Converge.AllReadyAsync(_crane, name, 3, generation: 1);
            var oldContainers = v1.Replicas.Select(r => r.ContainerId!).ToHashSet();

            var same = await _crane.Api.ApplyAsync(Specs.Demo(name, 3));
            Assert.True(same.Status == HttpStatusCode.OK, $"re-applying the same spec should be 200: {same}");
            Assert.False(same.Json.GetProperty("changed").GetBoolean(), $"nothing changed: {same}");
            Assert.Equal(1, same.Json.GetProperty("generation").GetInt64());

            var changed = await _crane.Api.ApplyAsync(Specs.Demo(name, 3, env: new Dictionary<string, string> { ["VERSION"] = "2" }));
            Assert.True(changed.Status == HttpStatusCode.OK, $"an update should be 200: {changed}");
            Assert.Equal(2, changed.Json.GetProperty("generation").GetInt64());
            Assert.False(changed.Json.GetProperty("created").GetBoolean());

            // maxUnavailable 0: while rolling, readyReplicas never drops below the desired 3.
            var minReady = int.MaxValue;
            var v2 = await Wait.Until(
                async () =>
                {
                    var w = await _crane.Api.GetExistingWorkloadAsync(name);
                    minReady = Math.Min(minReady, w.ReadyReplicas);
                    return w;
                },
                w => w.Replicas.Count == 3 && w.ReadyReplicas == 3 && w.Replicas.All(r => r is { Generation: 2, State: "Running", Ready: true }),
                Wait.Converge,
                $"workload {name} did not roll to generation 2",
                w => w.Describe());
            Assert.Equal(2, v2.Generation);
            Assert.True(minReady >= 3, $"ready replicas dropped to {minReady} during the rollout (desired 3)");

            var containers = await Converge.ContainerCountAsync(_crane, name, 3);
            Assert.Empty(containers.Intersect(oldContainers));
            foreach (var id in containers)
            {
                var c = await DockerCli.InspectAsync(id);
                Assert.Equal("2", Label(c.GetProperty("Config").GetProperty("Labels"), "crane.generation"));
                Assert.Contains("VERSION=2", c.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
            }
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task RestartEndpoint_ReplacesEveryContainerUnderANewGeneration()
    {
        var name = Specs.UniqueName("restart");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
            var before = await Converge.AllReadyAsync(_crane, name, 2, generation: 1);
            var oldContainers = before.Replicas.Select(r => r.ContainerId!).ToHashSet();

            var restart = await _crane.Api.RestartAsync(name);
            Assert.True(restart.Status == HttpStatusCode.OK, $"restart: {restart}");
            Assert.Equal(2, restart.Json.GetProperty("generation").GetInt64());

            var after = await Converge.AllReadyAsync(_crane, name, 2, generation: 2);
            Assert.Empty(after.Replicas.Select(r => r.ContainerId!).Intersect(oldContainers));
            var containers = await Converge.ContainerCountAsync(_crane, name, 2);
            Assert.Equal(after.Replicas.Select(r => r.ContainerId!).Order(StringComparer.Ordinal), containers);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Delete_RemovesTheWorkloadAndItsContainers_ASecondDeleteIs404()
    {
        var name = Specs.UniqueName("delete");
        await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
        await Converge.AllReadyAsync(_crane, name, 2);
        await Converge.ContainerCountAsync(_crane, name, 2);

        var deleted = await _crane.Api.DeleteAsync(name);
        Assert.True(deleted.Status == HttpStatusCode.OK, $"delete: {deleted}");

        var get = await _crane.Api.GetWorkloadRawAsync(name);
        Assert.True(get.Status == HttpStatusCode.NotFound, $"GET after delete: {get}");
        Assert.True(get.Json.TryGetProperty("error", out _), $"404 body should be {{error}}: {get}");
        Assert.DoesNotContain(await _crane.Api.ListWorkloadsAsync(), w => w.Name == name);

        await Converge.ContainerCountAsync(_crane, name, 0);

        var again = await _crane.Api.DeleteAsync(name);
        Assert.True(again.Status == HttpStatusCode.NotFound, $"second delete: {again}");
    }

    private static string? Label(JsonElement labels, string key) =>
        labels.TryGetProperty(key, out var value) ? value.GetString() : null;
}
