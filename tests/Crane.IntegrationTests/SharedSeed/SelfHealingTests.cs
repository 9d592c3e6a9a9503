namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed class SelfHealingTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public Task KilledContainer_IsReplacedUnderTheSameReplicaId_AndCountedAsARestart() =>
        ReplacedAfter("killed", DockerCli.KillAsync);

    [Fact]
    public Task RemovedContainer_IsReplacedUnderTheSameReplicaId_AndCountedAsARestart() =>
        ReplacedAfter("removed", DockerCli.RemoveForceAsync);

    private async Task ReplacedAfter(string prefix, Func<string, Task> breakContainer)
    {
        var name = Specs.UniqueName(prefix);
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
            var before = await Converge.AllReadyAsync(_crane, name, 2);
            var victim = before.Replicas[0];
            var bystander = before.Replicas[1];
            Assert.Equal(0, RestartsOf(await _crane.Api.MetricsAsync(), name, victim.Id));

            await breakContainer(victim.ContainerId!);

            var after = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 2 && w.ReadyReplicas == 2 && w.Replicas.Any(r =>
                    r.Id == victim.Id && r.ContainerId != victim.ContainerId && r is { State: "Running", Ready: true, Restarts: 1 }),
                Wait.Converge,
                $"replica {victim.Id} of {name} was not replaced after its container was {prefix}",
                w => w.Describe());
            var replaced = after.Replicas.Single(r => r.Id == victim.Id);
            var untouched = after.Replicas.Single(r => r.Id == bystander.Id);
            Assert.Equal(bystander.ContainerId, untouched.ContainerId);
            Assert.Equal(0, untouched.Restarts);

            var ofReplica = await Wait.Until(
                () => DockerCli.PsAsync([_crane.ContainerLabel, $"crane.workload={name}", $"crane.replica={victim.Id}"]),
                ids => ids.Count == 1,
                Wait.Converge,
                $"expected exactly one container for replica {victim.Id}",
                ids => string.Join(", ", ids));
            Assert.Equal(replaced.ContainerId, ofReplica[0]);
            var (status, _) = await Loopback.GetAsync(replaced.HostPort!.Value);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);

            await Wait.Until(
                _crane.Api.MetricsAsync,
                text => RestartsOf(text, name, victim.Id) == 1,
                TimeSpan.FromSeconds(10),
                $"crane_container_restarts_total{{workload=\"{name}\",replica=\"{victim.Id}\"}} should be 1",
                text => string.Join('\n', text.Split('\n').Where(l => l.StartsWith("crane_container_restarts_total", StringComparison.Ordinal))));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    private static double RestartsOf(string metrics, string workload, string replica) =>
        PrometheusText.Parse(metrics)
            .Where(s => s.Name == "crane_container_restarts_total" && s.Labels.GetValueOrDefault("workload") == workload &&
                        s.Labels.GetValueOrDefault("replica") == replica)
            .Sum(s => s.Value);
}
