using System.Globalization;
using System.Text.RegularExpressions;

namespace Crane.IntegrationTests;

/// <summary>Containers that keep crashing: restart backoff and restartPolicy (issue 4).</summary>
[Collection(SharedCraneCollection.Name)]
public sealed partial class RestartBackoffTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    private static string Crashing(string name, string restartPolicy) => $$"""
        name: {{name}}
        image: {{DockerCli.DemoImage}}
        replicas: 1
        resources: {cpu: 0.1, memory: 32Mi}
        command: [sh, -c, "exit 1"]
        restartPolicy: {{restartPolicy}}
        """;

    [Fact]
    public async Task CrashingContainer_IsRestartedWithABackoffThatDoublesEachTime()
    {
        var name = Specs.UniqueName("crashloop");
        try
        {
            await _crane.Api.ApplyOkAsync(Crashing(name, "Always"));

            // Backoff.Default: 1 s for the first crash, doubling per consecutive crash (1 + 2 + 4 s of waiting here).
            var events = await Wait.Until(
                () => _crane.Api.EventsAsync($"?workload={name}"),
                es => es.Count(e => e.Reason == "BackOff") >= 3 && es.Count(e => e.Reason == "Restarted") >= 3,
                TimeSpan.FromSeconds(60),
                $"{name} exits at once: it should have backed off and restarted three times",
                es => string.Join("; ", es.Select(e => e.Describe())));

            var backOffs = events.Where(e => e.Reason == "BackOff").ToList();
            Assert.Single(backOffs.Select(e => e.Object.Name).Distinct());
            var delays = backOffs.Select(e => DelayOf(e.Message)).ToList();
            Assert.True(delays.Take(3).SequenceEqual([1.0, 2.0, 4.0]),
                $"back-off delays should be 1 s, 2 s, 4 s, …: {string.Join("; ", backOffs.Select(e => e.Describe()))}");

            // The delay is real: each restart comes no earlier than its back-off after the BackOff event.
            var restarts = events.Where(e => e.Reason == "Restarted").ToList();
            for (var i = 0; i < 3; i++)
            {
                var restart = restarts.First(r => r.Id > backOffs[i].Id);
                var waited = restart.Time - backOffs[i].Time;
                Assert.True(waited >= TimeSpan.FromSeconds(delays[i] - 0.05),
                    $"restart {i + 1} came {waited.TotalSeconds:0.000}s after a back-off of {delays[i]}s: {backOffs[i].Describe()} / {restart.Describe()}");
            }

            var workload = await _crane.Api.GetExistingWorkloadAsync(name);
            Assert.True(workload.Replicas.Single().Restarts >= 3, $"restarts should count the replacements: {workload.Describe()}");
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task RestartPolicyNever_LeavesAnExitedContainerAlone_AndTheReplicaPendingWithTheReason()
    {
        var name = Specs.UniqueName("never");
        try
        {
            await _crane.Api.ApplyOkAsync(Crashing(name, "Never"));

            var pending = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Pending", ContainerId: not null } r &&
                     r.PendingReason?.Contains("restartPolicy Never", StringComparison.Ordinal) == true,
                Wait.Converge,
                $"the replica of {name} should exit once and go Pending with a reason naming restartPolicy Never",
                w => w.Describe());
            var replica = pending.Replicas[0];
            var containers = await DockerCli.WorkloadContainersAsync(_crane.TestId, name);
            Assert.Equal([replica.ContainerId!], containers);

            // Longer than the first back-off (1 s) plus a node relist (2 s): a restart would have shown by then.
            await Hold.For(
                async () => (Workload: await _crane.Api.GetExistingWorkloadAsync(name), Containers: await DockerCli.WorkloadContainersAsync(_crane.TestId, name)),
                s => s.Workload.Replicas.Count == 1 && s.Workload.Replicas[0] is { State: "Pending", Restarts: 0 } r && r.ContainerId == replica.ContainerId &&
                     s.Containers.SequenceEqual([replica.ContainerId!]),
                TimeSpan.FromSeconds(4),
                $"restartPolicy Never: {name} must not be restarted",
                s => $"{s.Workload.Describe()}; containers {string.Join(", ", s.Containers.Select(c => c[..12]))}");

            var events = await _crane.Api.EventsAsync($"?workload={name}");
            Assert.DoesNotContain(events, e => e.Reason is "BackOff" or "Restarted");
            var state = await DockerCli.InspectAsync(replica.ContainerId!);
            Assert.Equal(1, state.GetProperty("State").GetProperty("ExitCode").GetInt32());
            Assert.False(state.GetProperty("State").GetProperty("Running").GetBoolean());
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    private static double DelayOf(string message) =>
        BackOffDelay().Match(message) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new Xunit.Sdk.XunitException($"no 'back-off Ns' in BackOff message: {message}");

    [GeneratedRegex(@"back-off ([0-9]+(?:\.[0-9]+)?)s")]
    private static partial Regex BackOffDelay();
}
