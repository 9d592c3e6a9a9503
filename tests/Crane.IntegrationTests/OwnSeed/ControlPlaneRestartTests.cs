using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

[Collection(OwnCraneCollection.Name)]
public sealed class ControlPlaneRestartTests(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0}s {what}");

    [Theory]
    [InlineData("SIGKILL")]
    [InlineData("SIGTERM")]
    public async Task SeedRestart_RecoversWorkloads_AndAdoptsTheRunningContainers(string signal)
    {
        await using var crane = await CraneProcess.StartAsync();
        Phase("seed serving");
        var name = Specs.UniqueName("survivor");
        var gone = Specs.UniqueName("gone");

        // Desired state with some history: generation 2 from a rolling restart, then scaled from 2 to 3.
        await crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
        await Converge.AllReadyAsync(crane, name, 2, generation: 1);
        Assert.Equal(HttpStatusCode.OK, (await crane.Api.RestartAsync(name)).Status);
        await Converge.AllReadyAsync(crane, name, 2, generation: 2);
        Assert.Equal(HttpStatusCode.OK, (await crane.Api.ScaleAsync(name, 3)).Status);
        var before = await Converge.AllReadyAsync(crane, name, 3, generation: 2);

        await crane.Api.ApplyOkAsync(Specs.Demo(gone, 1));
        await Converge.AllReadyAsync(crane, gone, 1);
        Assert.Equal(HttpStatusCode.OK, (await crane.Api.DeleteAsync(gone)).Status);
        await Converge.ContainerCountAsync(crane, gone, 0);

        Phase("workloads converged");
        var containersBefore = await Converge.ContainerCountAsync(crane, name, 3);
        Assert.Equal(before.Replicas.Select(r => r.ContainerId!).Order(StringComparer.Ordinal), containersBefore);

        if (signal == "SIGKILL")
            await crane.KillAsync();
        else
            await crane.StopAsync(TimeSpan.FromSeconds(30));
        Assert.False(crane.IsRunning);
        Assert.Equal(containersBefore, await DockerCli.PsAsync([crane.ContainerLabel], all: false));

        Phase($"{signal} done");
        await crane.StartAgainAsync();
        Phase("seed serving again");

        var after = await Converge.AllReadyAsync(crane, name, 3);
        Assert.Equal(2, after.Generation);
        Assert.Equal(3, after.DesiredReplicas);
        Assert.All(after.Replicas, r => Assert.Equal(2, r.Generation));
        Assert.Equal(before.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal), after.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(containersBefore, after.Replicas.Select(r => r.ContainerId!).Order(StringComparer.Ordinal));
        Assert.Equal(containersBefore, await DockerCli.PsAsync([crane.ContainerLabel], all: true));
        Assert.Null(await crane.Api.GetWorkloadAsync(gone));

        Phase("recovered");
        Assert.Equal(HttpStatusCode.OK, (await crane.Api.ScaleAsync(name, 1)).Status);
        var scaled = await Converge.AllReadyAsync(crane, name, 1, generation: 2);
        var left = await Converge.ContainerCountAsync(crane, name, 1);
        Assert.Equal(scaled.Replicas[0].ContainerId, left[0]);
        Assert.Contains(left[0], containersBefore);
        Phase("scaled to 1");
    }
}
