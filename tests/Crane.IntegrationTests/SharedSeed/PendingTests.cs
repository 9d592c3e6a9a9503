using System.Net;
using System.Text.RegularExpressions;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed partial class PendingTests(SharedCraneFixture fixture)
{
    private const string MissingImage = "crane/not-here:1";
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Unschedulable_StaysPendingWithTheReason_AndAFailedSchedulingEvent()
    {
        var name = Specs.UniqueName("huge");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1, memory: "64Gi"));

            var workload = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0].PendingReason?.Contains("insufficient memory", StringComparison.Ordinal) == true,
                Wait.Converge,
                $"replica of {name} should be Pending with an 'insufficient memory' reason",
                w => w.Describe());
            var replica = workload.Replicas[0];
            Assert.Equal("Pending", replica.State);
            Assert.Null(replica.Node);
            Assert.Contains("0/1 nodes available", replica.PendingReason, StringComparison.Ordinal);
            Assert.Equal(0, workload.ReadyReplicas);

            var events = await Wait.Until(
                () => _crane.Api.EventsAsync($"?workload={name}&reason=FailedScheduling"),
                e => e.Count > 0,
                TimeSpan.FromSeconds(10),
                $"no FailedScheduling event for {name}",
                e => string.Join("; ", e.Select(x => x.Describe())));
            Assert.All(events, e => Assert.Equal("Warning", e.Type));
            Assert.Contains(events, e => e.Message.Contains("insufficient memory", StringComparison.Ordinal) && e.Object.Name == replica.Id);
            Assert.Empty(await DockerCli.WorkloadContainersAsync(_crane.TestId, name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task MissingImage_GoesPendingWithImagePullFailed_AndTheSeedStaysHealthy()
    {
        Assert.False(await DockerCli.ImageExistsAsync(MissingImage), $"precondition: {MissingImage} must not exist locally");
        var name = Specs.UniqueName("noimage");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1, image: MissingImage));
            var replica = await PendingOnImageAsync(name);
            Assert.Equal(_crane.NodeName, replica.Node);
            Assert.False(replica.Ready);

            var events = await ImagePullFailedEventsAsync(name);
            Assert.All(events, e => Assert.Equal("Warning", e.Type));
            Assert.Contains(events, e => e.Message.Contains(MissingImage, StringComparison.Ordinal));

            Assert.True(_crane.IsRunning, _crane.Describe());
            var health = await _crane.Api.SendAsync(HttpMethod.Get, "/healthz");
            Assert.True(health.Status == HttpStatusCode.OK, $"/healthz: {health}");
            Assert.Empty(await DockerCli.WorkloadContainersAsync(_crane.TestId, name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>No registry is reachable here and tests may only cause loopback traffic: a missing image must not be pulled.</summary>
    [Fact]
    public async Task MissingImage_IsNotPulledFromARemoteRegistry()
    {
        var name = Specs.UniqueName("nopull");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1, image: MissingImage));
            var replica = await PendingOnImageAsync(name);
            var events = await ImagePullFailedEventsAsync(name);

            foreach (var text in events.Select(e => e.Message).Append(replica.PendingReason!))
                Assert.False(RemotePullTrace().IsMatch(text), $"the engine tried to reach a registry over the network: {text}");
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    private async Task<ReplicaDto> PendingOnImageAsync(string name)
    {
        var workload = await Wait.Until(
            () => _crane.Api.GetExistingWorkloadAsync(name),
            w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Pending" } r && r.PendingReason?.StartsWith("ImagePullFailed", StringComparison.Ordinal) == true,
            Wait.Converge,
            $"replica of {name} should be Pending with a reason starting 'ImagePullFailed'",
            w => w.Describe());
        return workload.Replicas[0];
    }

    private Task<IReadOnlyList<EventDto>> ImagePullFailedEventsAsync(string name) =>
        Wait.Until(
            () => _crane.Api.EventsAsync($"?workload={name}&reason=ImagePullFailed"),
            e => e.Count > 0,
            TimeSpan.FromSeconds(10),
            $"no ImagePullFailed event for {name}",
            e => string.Join("; ", e.Select(x => x.Describe())));

    [GeneratedRegex(@"lookup |dial tcp|registry-1\.docker\.io|https?://", RegexOptions.IgnoreCase)]
    private static partial Regex RemotePullTrace();
}
