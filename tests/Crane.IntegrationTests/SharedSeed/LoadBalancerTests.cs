using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>The NGINX a crane-seed owns: routing by Host header and path prefix, only to ready replicas (issue 4).</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class LoadBalancerTests(SharedCraneFixture fixture, ITestOutputHelper output)
{
    /// <summary>Requests per look at which replicas NGINX routes to; round robin over 2 replicas gives each about half.</summary>
    private const int Batch = 30;

    private const double ReadinessPeriodSeconds = 0.5;

    /// <summary>
    /// One readiness period (failureThreshold 1) plus the reload (100 ms debounce, nginx -t, SIGHUP), with room for a
    /// busy 2-core machine: a replica still routed after this is a failure, not slowness.
    /// </summary>
    private static readonly TimeSpan RoutingDeadline = TimeSpan.FromSeconds(ReadinessPeriodSeconds + 3);

    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Workload_WithAPort_IsServedThroughNginx_ByHostHeaderAndByPathPrefix()
    {
        var name = Specs.UniqueName("lb");
        var unrouted = Specs.UniqueName("lb-noport");
        try
        {
            var reloadsBefore = await ReloadEventIdsAsync();
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 2));
            var ready = await Converge.AllReadyAsync(_crane, name, 2);
            var ids = ready.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal).ToList();

            var view = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.LoadBalancer is { Endpoints: 2 },
                TimeSpan.FromSeconds(10),
                $"GET /api/v1/workloads/{name} should show a loadBalancer with 2 endpoints",
                w => $"{w.Describe()} loadBalancer={w.LoadBalancer}");
            Assert.Equal($"http://127.0.0.1:{_crane.LbPort}/", view.LoadBalancer!.Url);
            Assert.Equal(name, view.LoadBalancer.Host);
            Assert.Equal($"/{name}/", view.LoadBalancer.PathPrefix);

            var byHost = await BothReplicasRoutedAsync(name, ids, Wait.Converge);
            Assert.All(byHost, h => Assert.Equal(HttpStatusCode.OK, h.Status));

            var byPath = new List<LbHit>();
            for (var i = 0; i < 10; i++)
                byPath.Add(await Nginx.GetByPathAsync(_crane, name));
            Assert.True(byPath.All(h => h.Status == HttpStatusCode.OK) && byPath.Select(h => h.Replica).Distinct().Order(StringComparer.Ordinal).SequenceEqual(ids),
                $"/{name}/ should reach both replicas {string.Join(", ", ids)}: {Nginx.Describe(byPath)}");
            var health = await Nginx.GetByPathAsync(_crane, name, "health");
            Assert.True(health is { Status: HttpStatusCode.OK } && health.Body.Trim() == "ok", $"/{name}/health should be the app's /health: {health.Describe()}");

            var reloads = (await ReloadEventIdsAsync()).Except(reloadsBefore).ToList();
            Assert.NotEmpty(reloads);

            var other = await Nginx.GetByHostAsync(_crane, Specs.UniqueName("nobody"));
            Assert.True(other.Status == HttpStatusCode.NotFound, $"an unknown Host should get NGINX's 404: {other.Describe()}");

            await _crane.Api.ApplyOkAsync($"name: {unrouted}\nimage: {DockerCli.DemoImage}\nreplicas: 0\n");
            var noPort = await _crane.Api.GetExistingWorkloadAsync(unrouted);
            Assert.Null(noPort.LoadBalancer);

            Assert.Equal(HttpStatusCode.OK, (await _crane.Api.DeleteAsync(name)).Status);
            await Wait.Until(
                () => Nginx.GetByHostAsync(_crane, name),
                h => h.Status == HttpStatusCode.NotFound,
                TimeSpan.FromSeconds(15),
                $"after deleting {name}, NGINX should no longer route Host: {name}",
                h => h.Describe());
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
            await Converge.DeleteQuietlyAsync(_crane, unrouted);
        }
    }

    [Fact]
    public async Task ReadinessFailure_TakesTheReplicaOutOfNginx_WithoutARestart_AndRecoveryBringsItBack()
    {
        var name = Specs.UniqueName("unready");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 2,
                $"  readiness: {{type: http, path: /ready, periodSeconds: {ReadinessPeriodSeconds}, failureThreshold: 1}}"));
            var ready = await Converge.AllReadyAsync(_crane, name, 2);
            var victim = ready.Replicas[0];
            var bystander = ready.Replicas[1];
            await BothReplicasRoutedAsync(name, [victim.Id, bystander.Id], Wait.Converge);

            var clock = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.OK, (await Loopback.GetAsync(victim.HostPort!.Value, "/fail/ready")).Status);

            // Out of NGINX: the first of Batch requests in a row that all reach the bystander.
            var (gone, seen) = await RequestUntilAsync(name, clock, (hits, i) => i >= Batch - 1 && hits.TakeLast(Batch).All(h => h.Replica == bystander.Id), Batch - 1);
            output.WriteLine($"/fail/ready → {victim.Id} out of NGINX after {Ms(gone)} ({seen.Count} requests)");
            Assert.True(gone <= RoutingDeadline,
                $"{victim.Id} failed readiness, yet NGINX still routed to it {RoutingDeadline.TotalSeconds:0.#}s later " +
                $"(out after {Ms(gone)}): {Nginx.Describe(seen)}");
            Assert.True(seen.All(h => h.Status == HttpStatusCode.OK), $"taking {victim.Id} out of NGINX cost requests: {Nginx.Describe(seen)}");

            var notReady = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 2 && w.ReadyReplicas == 1 && w.Replicas.Single(r => r.Id == victim.Id) is { State: "Running", Ready: false },
                TimeSpan.FromSeconds(10),
                $"{victim.Id} should be Running and not ready",
                w => w.Describe());
            var unreadyVictim = notReady.Replicas.Single(r => r.Id == victim.Id);
            Assert.Equal(victim.ContainerId, unreadyVictim.ContainerId);
            Assert.Equal(0, unreadyVictim.Restarts);
            Assert.Equal(1, notReady.LoadBalancer?.Endpoints);
            var events = await _crane.Api.EventsAsync($"?workload={name}");
            Assert.DoesNotContain(events, e => e.Object.Name == victim.Id && e.Reason is "Killing" or "Restarted" or "BackOff");
            Assert.Contains(events, e => e.Object.Name == victim.Id && e.Reason == "NotReady");

            clock.Restart();
            Assert.Equal(HttpStatusCode.OK, (await Loopback.GetAsync(victim.HostPort!.Value, "/recover")).Status);
            var (back, again) = await RequestUntilAsync(name, clock, (hits, _) => hits[^1].Replica == victim.Id, 0);
            output.WriteLine($"/recover → {victim.Id} routed again after {Ms(back)} ({again.Count} requests)");
            Assert.True(back <= RoutingDeadline, $"{victim.Id} recovered, yet NGINX did not route to it within {RoutingDeadline.TotalSeconds:0.#}s ({Ms(back)})");
            Assert.True(again.All(h => h.Status == HttpStatusCode.OK), $"putting {victim.Id} back into NGINX cost requests: {Nginx.Describe(again)}");
            var recovered = await Converge.AllReadyAsync(_crane, name, 2, timeout: TimeSpan.FromSeconds(10));
            Assert.Equal(victim.ContainerId, recovered.Replicas.Single(r => r.Id == victim.Id).ContainerId);
            Assert.Equal(0, recovered.Replicas.Single(r => r.Id == victim.Id).Restarts);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>Waits until one batch of requests by Host header reaches exactly <paramref name="ids"/>, all 200.</summary>
    private async Task<IReadOnlyList<LbHit>> BothReplicasRoutedAsync(string name, IReadOnlyList<string> ids, TimeSpan timeout)
    {
        try
        {
            return await Wait.Until(
                () => Nginx.BatchByHostAsync(_crane, name, Batch),
                hits => hits.All(h => h.Status == HttpStatusCode.OK) &&
                        hits.Select(h => h.Replica).Distinct().Order(StringComparer.Ordinal).SequenceEqual(ids.Order(StringComparer.Ordinal)),
                timeout,
                $"NGINX should route Host: {name} to {string.Join(" and ", ids)}",
                Nginx.Describe);
        }
        catch (WaitTimeoutException ex)
        {
            throw new WaitTimeoutException($"{ex.Message}\n{await Nginx.DiagnoseAsync(_crane)}");
        }
    }

    /// <summary>
    /// Sequential requests by Host header until <paramref name="done"/> accepts the hits so far (with the index of the last one), or until
    /// well past <see cref="RoutingDeadline"/> (to tell "late" from "never"). Returns when the request <paramref name="back"/> places before
    /// the last one was sent (null: never), measured on <paramref name="clock"/>, and every hit.
    /// </summary>
    private async Task<(TimeSpan? At, IReadOnlyList<LbHit> Hits)> RequestUntilAsync(string name, Stopwatch clock, Func<IReadOnlyList<LbHit>, int, bool> done, int back)
    {
        var hits = new List<LbHit>();
        var sentAt = new List<TimeSpan>();
        while (true)
        {
            sentAt.Add(clock.Elapsed);
            hits.Add(await Nginx.GetByHostAsync(_crane, name));
            if (done(hits, hits.Count - 1))
                return (sentAt[^(back + 1)], hits);
            if (clock.Elapsed > RoutingDeadline * 3)
                return (null, hits);
        }
    }

    private static string Ms(TimeSpan? t) => t is null ? "never" : $"{t.Value.TotalMilliseconds:0} ms";

    private async Task<HashSet<long>> ReloadEventIdsAsync() =>
        (await _crane.Api.EventsAsync("?reason=LoadBalancerReloaded")).Select(e => e.Id).ToHashSet();
}
