using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>
/// Autoscaling on metrics from the seed's real Prometheus (1 s scrape, 1 s autoscaler sync, 5 s rate window) of real Docker
/// containers of the demo app (issue 7): cpu, memory and a custom PromQL metric, each up under load and back down after it.
/// </summary>
[Collection(SharedCraneCollection.Name)]
public sealed class AutoscalingTests(SharedCraneFixture fixture, ITestOutputHelper output)
{
    /// <summary>The issue's bound from load start to the scale-up decision.</summary>
    private static readonly TimeSpan ScaleUpDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Load gone → the 5 s rate window drains, the 5 s scale-down window passes, replicas stop; room for a busy host.</summary>
    private static readonly TimeSpan ScaleDownDeadline = TimeSpan.FromSeconds(60);

    private readonly CraneProcess _crane = fixture.Crane;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };

    private static string Autoscaled(string name, string cpu, string memory, string autoscaling) => $$"""
        name: {{name}}
        image: {{DockerCli.DemoImage}}
        replicas: 1
        port: 8080
        resources: {cpu: {{cpu}}, memory: {{memory}}}
        health:
          readiness: {type: http, path: /ready, periodSeconds: 1}
        autoscaling:
        {{autoscaling}}
          behavior:
            scaleDown: {stabilizationWindowSeconds: 5}
        """;

    [Fact]
    public async Task Cpu_load_scales_up_within_a_minute_and_back_to_min_after_it_stops()
    {
        var name = Specs.UniqueName("as-cpu");
        try
        {
            // One replica burning a whole core against a 0.1-core limit is 100 % of its request: ceil(100 / 40) = 3 = max.
            await _crane.Api.ApplyOkAsync(Autoscaled(name, "100m", "32Mi", "  min: 1\n  max: 3\n  metric: cpu\n  target: 40"));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            await ActiveAsync(name);

            var load = Stopwatch.StartNew();
            await GetReplicaAsync(ready.Replicas[0], "/burn?seconds=25");
            var scaled = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 3, ScaleUpDeadline,
                $"{name} should scale to max 3 within {ScaleUpDeadline.TotalSeconds:0}s of the cpu load", Describe);
            output.WriteLine($"cpu load → desired 3 after {load.Elapsed.TotalSeconds:0.0}s: {scaled.Autoscaler?.Describe()}");
            var up = await ScaledEventAsync(name, "ScaledUp");
            Assert.Contains("autoscaler: cpu", up.Message);
            Assert.Contains("% of 40% target", up.Message);
            // The rate window fills over 5 s, so the first step may see part of the load (1 → 2) and a later one the rest.
            Assert.StartsWith("replicas 1 → ", up.Message);
            await Converge.AllReadyAsync(_crane, name, 3);

            var down = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 1, ScaleDownDeadline + TimeSpan.FromSeconds(25),
                $"{name} should scale back to min 1 once the 25 s burn ended and the 5 s stabilization window passed", Describe);
            output.WriteLine($"back to 1 after {load.Elapsed.TotalSeconds:0.0}s (burn 25 s): {down.Autoscaler?.Describe()}");
            Assert.Contains("ScaledDown", (await _crane.Api.EventsAsync($"?workload={name}")).Select(e => e.Reason));
            await Converge.AllReadyAsync(_crane, name, 1);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Memory_use_scales_up_and_freeing_it_scales_back_down()
    {
        var name = Specs.UniqueName("as-mem");
        try
        {
            // 40 MiB of a 64 MiB request is ~63 % against a 50 % target: ceil(1.25 × 1) = 2 = max.
            await _crane.Api.ApplyOkAsync(Autoscaled(name, "100m", "64Mi", "  min: 1\n  max: 2\n  metric: memory\n  target: 50"));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            var idle = await ActiveAsync(name);
            Assert.True(idle.Autoscaler!.CurrentValue < 50, $"an idle demo app should use well under half of 64 MiB: {idle.Autoscaler.Describe()}");

            await GetReplicaAsync(ready.Replicas[0], "/alloc?mb=40");
            var scaled = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 2, ScaleUpDeadline,
                $"{name} should scale to 2 once a replica holds 40 MiB of its 64 MiB request", Describe);
            output.WriteLine($"memory → {scaled.Autoscaler?.Describe()}");
            var up = await ScaledEventAsync(name, "ScaledUp");
            Assert.Contains("autoscaler: memory", up.Message);

            await Converge.AllReadyAsync(_crane, name, 2);
            await GetReplicaAsync(ready.Replicas[0], "/free");
            await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 1, ScaleDownDeadline,
                $"{name} should scale back to 1 once the memory is freed", Describe);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task A_custom_request_rate_query_scales_on_traffic_through_the_load_balancer()
    {
        var name = Specs.UniqueName("as-rps");
        try
        {
            // Idle, each replica sees ~2 requests/s (the 1 s scrape of /metrics and the 1 s readiness probe), under the target of 5.
            var query = $"sum by (replica) (rate(demo_requests_total{{workload=\"{name}\"}}[5s]))";
            await _crane.Api.ApplyOkAsync(Autoscaled(name, "100m", "32Mi", $"  min: 1\n  max: 3\n  metric: custom\n  query: '{query}'\n  target: 5"));
            await Converge.AllReadyAsync(_crane, name, 1);
            var idle = await ActiveAsync(name);
            Assert.Equal("custom", idle.Autoscaler!.Metric);

            using var stop = new CancellationTokenSource();
            var traffic = Task.Run(() => SendTrafficAsync(name, stop.Token));
            try
            {
                var scaled = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 3, ScaleUpDeadline,
                    $"{name} should scale to 3 on traffic well above 5 requests/s per replica", Describe);
                output.WriteLine($"traffic → {scaled.Autoscaler?.Describe()}");
            }
            finally
            {
                await stop.CancelAsync();
                output.WriteLine($"sent {await traffic} requests");
            }

            var up = await ScaledEventAsync(name, "ScaledUp");
            Assert.Contains("autoscaler: custom", up.Message);
            await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 1, ScaleDownDeadline,
                $"{name} should scale back to 1 after the traffic stops", Describe);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task A_scaling_policy_caps_the_autoscaler_and_the_event_says_why()
    {
        var name = Specs.UniqueName("as-pol");
        var policy = Specs.UniqueName("as-cap");
        var put = await _crane.Api.SendAsync(HttpMethod.Put, $"/api/v1/policies/{policy}", $$"""
            package crane.scaling

            import rego.v1

            max_replicas := 2 if input.workload.name == "{{name}}"
            """, "text/plain");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        try
        {
            // Unpoliced, a burning replica asks for 3 (as in the cpu test); the policy allows 2.
            await _crane.Api.ApplyOkAsync(Autoscaled(name, "100m", "32Mi", "  min: 1\n  max: 3\n  metric: cpu\n  target: 40"));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            await ActiveAsync(name);

            await GetReplicaAsync(ready.Replicas[0], "/burn?seconds=30");
            var most = 0;
            var events = await Wait.Until(async () =>
                {
                    most = Math.Max(most, (await _crane.Api.GetExistingWorkloadAsync(name)).DesiredReplicas);
                    return await _crane.Api.EventsAsync($"?workload={name}&reason=ScalingLimited");
                },
                e => e.Any(x => x.Message.StartsWith("autoscaler ", StringComparison.Ordinal)), ScaleUpDeadline,
                $"the autoscaler of {name} should hit the policy's max_replicas 2", e => string.Join("\n", e.Select(x => x.Describe())));
            Assert.Contains("by policy", events[0].Message);
            Assert.Contains("max_replicas 2", events[0].Message);
            var capped = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 2, TimeSpan.FromSeconds(10),
                $"{name} should run the 2 replicas the policy allows", Describe);
            Assert.True(Math.Max(most, capped.DesiredReplicas) <= 2, $"{name} went to {most} replicas past the policy's 2");
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{policy}");
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task A_bad_promql_query_is_refused_at_apply_time_and_nothing_is_created()
    {
        var name = Specs.UniqueName("as-bad");

        var response = await _crane.Api.ApplyAsync(Autoscaled(name, "100m", "32Mi", "  min: 1\n  max: 3\n  metric: custom\n  query: 'sum(rate(demo_requests_total[1m])'\n  target: 5"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("autoscaling.query", response.Json.GetProperty("field").GetString());
        Assert.Contains("not valid PromQL", response.Json.GetProperty("error").GetString());
        Assert.Contains("parse error", response.Json.GetProperty("error").GetString());
        Assert.Null(await _crane.Api.GetWorkloadAsync(name));
    }

    [Fact]
    public async Task Prometheus_scrapes_the_seed_and_every_running_replica_with_its_labels()
    {
        var name = Specs.UniqueName("as-tgt");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
            var ready = await Converge.AllReadyAsync(_crane, name, 2);

            // The seed announces its own /metrics within a few seconds of starting: on a fresh seed both may still be coming.
            var targets = await Wait.Until(() => ActiveTargetsAsync(),
                t => t.Count(x => x.Workload == name && x.Health == "up") == 2 &&
                     t.Any(x => x.Job == "crane" && x.Instance == $"127.0.0.1:{_crane.HttpPort}" && x.Health == "up"),
                TimeSpan.FromSeconds(30), $"Prometheus should scrape both replicas of {name} and the seed itself", t => string.Join("; ", t));
            Assert.Equal(ready.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal), targets.Where(t => t.Workload == name).Select(t => t.Replica!).Order(StringComparer.Ordinal));

            // The node's container stats, scraped from the seed (all-in-one), carry workload and replica labels.
            var series = await Wait.Until(() => QueryAsync($"crane_container_cpu_seconds_total{{workload=\"{name}\"}}"), r => r.Count == 2, TimeSpan.FromSeconds(30),
                "both replicas' cpu counters should be in Prometheus", r => string.Join("; ", r));
            Assert.Equal(ready.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal), series.Order(StringComparer.Ordinal));

            await _crane.Api.ScaleAsync(name, 1);
            await Wait.Until(() => ActiveTargetsAsync(), t => t.Count(x => x.Workload == name) == 1, TimeSpan.FromSeconds(30),
                $"a stopped replica of {name} should leave the scrape targets", t => string.Join("; ", t));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>Waits for the first sync with valid metrics, so a test's load starts against a working autoscaler.</summary>
    private Task<WorkloadDto> ActiveAsync(string name) =>
        Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name),
            w => w.Autoscaler?.Condition("ScalingActive") is { Status: true, Reason: "ValidMetricFound" } && w.Autoscaler.CurrentValue is not null,
            TimeSpan.FromSeconds(30), $"the autoscaler of {name} should find its metric in Prometheus", Describe);

    private async Task<EventDto> ScaledEventAsync(string name, string reason) =>
        (await Wait.Until(() => _crane.Api.EventsAsync($"?workload={name}"), events => events.Any(e => e.Reason == reason), TimeSpan.FromSeconds(10),
            $"a {reason} event for {name}", events => string.Join("\n", events.Select(e => e.Describe())))).First(e => e.Reason == reason);

    private async Task GetReplicaAsync(ReplicaDto replica, string path)
    {
        using var response = await _http.GetAsync($"http://127.0.0.1:{replica.HostPort}{path}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} on replica {replica.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Requests through NGINX, as fast as one connection at a time goes, until cancelled; returns how many were sent.</summary>
    private async Task<int> SendTrafficAsync(string name, CancellationToken stop)
    {
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Nginx.GetByHostAsync(_crane, name);
                sent++;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
        }

        return sent;
    }

    private sealed record Target(string Job, string Instance, string? Workload, string? Replica, string Health)
    {
        public override string ToString() => $"{Job} {Instance} {Workload}/{Replica} {Health}";
    }

    private async Task<IReadOnlyList<Target>> ActiveTargetsAsync()
    {
        var json = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync($"http://127.0.0.1:{_crane.PrometheusPort}/api/v1/targets?state=active"));
        return json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().Select(t =>
        {
            var labels = t.GetProperty("labels");
            string? Label(string key) => labels.TryGetProperty(key, out var v) ? v.GetString() : null;
            return new Target(Label("job")!, Label("instance")!, Label("workload"), Label("replica"), t.GetProperty("health").GetString()!);
        }).ToList();
    }

    /// <summary>The replica label of each series an instant query returns.</summary>
    private async Task<IReadOnlyList<string>> QueryAsync(string promql)
    {
        var json = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync(
            $"http://127.0.0.1:{_crane.PrometheusPort}/api/v1/query?query={Uri.EscapeDataString(promql)}"));
        return json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(r => r.GetProperty("metric").GetProperty("replica").GetString()!)
            .ToList();
    }

    private static string Describe(WorkloadDto w) =>
        $"{w.Describe()} autoscaler: {w.Autoscaler?.Describe() ?? "(none yet)"}";
}
