using System.Net;

namespace Crane.IntegrationTests;

/// <summary>
/// A seed whose --prometheus-url points at a port nothing listens on (issue 7): the autoscaler must keep the replica count
/// (no scale-down on missing metrics), say why in its status and in an event, and keep retrying; a custom query cannot be
/// validated, so apply accepts it with a warning.
/// </summary>
[Collection(OwnCraneCollection.Name)]
public sealed class AutoscalerWithoutPrometheusTests
{
    [Fact]
    public async Task Prometheus_down_means_no_scale_down_a_MetricsUnavailable_condition_and_an_event()
    {
        var closed = Loopback.FreeTcpPort();
        await using var crane = await CraneProcess.StartAsync(new CraneProcessOptions
        {
            ExtraArgs = ["--prometheus-url", $"http://127.0.0.1:{closed}", "--autoscaler-sync-seconds", "1"],
        });
        var name = Specs.UniqueName("as-down");
        // Idle replicas would scale 3 → 1 if the autoscaler guessed their usage as zero.
        var applied = await crane.Api.ApplyAsync($"""
            name: {name}
            image: {DockerCli.DemoImage}
            replicas: 3
            port: 8080
            resources: {"{"}cpu: 100m, memory: 32Mi{"}"}
            autoscaling: {"{"}min: 1, max: 4, metric: custom, target: 5, query: 'sum by (replica) (rate(demo_requests_total[30s]))'{"}"}
            """);
        Assert.Equal(HttpStatusCode.Created, applied.Status);
        Assert.Contains("autoscaling.query was not validated", applied.Json.GetProperty("warnings")[0].GetString());
        await Converge.AllReadyAsync(crane, name, 3);

        var status = await Wait.Until(() => crane.Api.GetExistingWorkloadAsync(name),
            w => w.Autoscaler?.Condition("ScalingActive") is { Status: false, Reason: "MetricsUnavailable" },
            TimeSpan.FromSeconds(20), "the autoscaler should report its metrics unavailable",
            w => w.Autoscaler?.Describe() ?? "(no autoscaler status yet)");
        Assert.Contains($"127.0.0.1:{closed}", status.Autoscaler!.Message);
        var unavailable = await Wait.Until(() => crane.Api.EventsAsync($"?workload={name}"), e => e.Any(x => x.Reason == "MetricsUnavailable"), TimeSpan.FromSeconds(10),
            "a MetricsUnavailable warning event", e => string.Join("\n", e.Select(x => x.Describe())));
        Assert.Contains("no scale-down", unavailable.First(e => e.Reason == "MetricsUnavailable").Message);

        // Five syncs later, nothing was scaled and the autoscaler is still trying (its last sync time moves on).
        var before = status.Autoscaler.LastSyncTime;
        var held = await Hold.For(() => crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 3, TimeSpan.FromSeconds(5),
            "an autoscaler without metrics must not change the count", w => w.Describe());
        Assert.True(held.Autoscaler!.LastSyncTime > before, $"the autoscaler should keep syncing: {held.Autoscaler.Describe()}");
        Assert.DoesNotContain(await crane.Api.EventsAsync($"?workload={name}"), e => e.Reason is "ScaledDown" or "ScaledUp");
    }
}
