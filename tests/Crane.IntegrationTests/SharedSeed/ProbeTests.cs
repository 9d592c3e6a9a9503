using System.Net;
using System.Text.Json;

namespace Crane.IntegrationTests;

/// <summary>Liveness, readiness and startup probes of every type against real containers (issue 4).</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class ProbeTests(SharedCraneFixture fixture)
{
    /// <summary>From a probe's verdict to the replica's state in the API, on a busy 2-core machine.</summary>
    private static readonly TimeSpan ProbeReaction = TimeSpan.FromSeconds(15);

    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Liveness_FailingThreeTimes_RestartsAFreshContainerUnderTheSameReplicaId()
    {
        var name = Specs.UniqueName("liveness");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, """
                  liveness: {type: http, path: /health, periodSeconds: 0.5, failureThreshold: 3, timeoutSeconds: 2}
                  readiness: {type: http, path: /ready, periodSeconds: 0.5}
                """));
            var before = (await Converge.AllReadyAsync(_crane, name, 1)).Replicas[0];
            var mark = await LastEventIdAsync(name);

            var (switched, _) = await Loopback.GetAsync(before.HostPort!.Value, "/fail/health");
            Assert.Equal(HttpStatusCode.OK, switched);
            Assert.Equal(HttpStatusCode.InternalServerError, (await Loopback.GetAsync(before.HostPort!.Value, "/health")).Status);

            var events = await ReplicaEventsWhenAsync(name, before.Id, es => es.Any(e => e.Id > mark && e.Reason == "Restarted"),
                $"replica {before.Id} of {name} should be restarted after its /health started failing");
            var killing = AssertKilledAfterExactly(events, mark, threshold: 3);
            var backOff = events.FirstOrDefault(e => e.Reason == "BackOff" && e.Id > killing.Id);
            var restarted = events.FirstOrDefault(e => e.Reason == "Restarted" && e.Id > killing.Id);
            Assert.True(backOff is not null && restarted is not null && backOff.Id < restarted.Id,
                $"Killing should be followed by BackOff, then Restarted: {Describe(events)}");

            var after = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Running", Ready: true, Restarts: 1, HostPort: not null } r &&
                     r.Id == before.Id && r.ContainerId != before.ContainerId,
                Wait.Converge,
                $"replica {before.Id} should run again in a new container with restarts 1",
                w => w.Describe());
            var replaced = after.Replicas[0];
            var ofReplica = await DockerCli.PsAsync([_crane.ContainerLabel, $"crane.workload={name}", $"crane.replica={before.Id}"]);
            Assert.Equal([replaced.ContainerId!], ofReplica);

            // The switch file lived in the old container's /tmp: the fresh container answers 200 again.
            var (health, body) = await Loopback.GetAsync(replaced.HostPort!.Value, "/health");
            Assert.True(health == HttpStatusCode.OK, $"/health of the new container {replaced.ContainerId![..12]}: {(int)health} {body}");

            var metrics = await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_container_restarts_total", ("workload", name), ("replica", before.Id)) == 1 &&
                     PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", before.Id), ("probe", "liveness"), ("result", "failure")) >= 3,
                TimeSpan.FromSeconds(10),
                $"metrics of {name}/{before.Id}: restarts_total should be 1 and liveness failures >= 3",
                t => PrometheusText.LinesWith(t, name));
            Assert.True(PrometheusText.Sum(metrics, "crane_probe_duration_seconds_count", ("workload", name), ("probe", "liveness")) >= 3,
                $"crane_probe_duration_seconds should have observed the liveness probes: {PrometheusText.LinesWith(metrics, name)}");
            Assert.Equal(1, PrometheusText.Sum(metrics, "crane_replica_ready", ("workload", name), ("replica", before.Id)));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task TcpReadiness_OnTheServingPort_MakesTheReplicaReady()
    {
        var name = Specs.UniqueName("tcp");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, "  readiness: {type: tcp, port: 8080, periodSeconds: 0.5}"));
            var ready = (await Converge.AllReadyAsync(_crane, name, 1)).Replicas[0];
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", ready.Id), ("probe", "readiness"), ("result", "success")) >= 1,
                TimeSpan.FromSeconds(10),
                $"a successful tcp readiness probe of {name} should be counted",
                t => PrometheusText.LinesWith(t, name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>A tcp probe must connect to something that listens: a container that serves nothing on the port is never ready.</summary>
    [Fact]
    public async Task TcpReadiness_WithNothingListening_KeepsTheReplicaNotReady()
    {
        var name = Specs.UniqueName("tcp-none");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, "  readiness: {type: tcp, port: 8080, periodSeconds: 0.5}",
                extra: "command: [sleep, \"3600\"]\n"));
            var running = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Running", ContainerId: not null, HostPort: not null },
                Wait.Converge,
                $"the replica of {name} should run",
                w => w.Describe());
            var replica = running.Replicas[0];
            // Nothing listens on 8080 inside the container (it only sleeps), whatever accepts on the host port.
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "readiness")) >= 4,
                ProbeReaction,
                $"tcp readiness probes of {name} should run",
                t => PrometheusText.LinesWith(t, name));

            await Hold.For(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.ReadyReplicas == 0 && w.Replicas.All(r => !r.Ready),
                TimeSpan.FromSeconds(2),
                $"{name} serves nothing on 8080, yet its tcp readiness probe made it ready " +
                "(the probe connects to the published host port, where Docker's userland proxy accepts every connection)",
                w => w.Describe());
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>A probe's own <c>port</c> is the port probed: the demo app serves nothing on 9090, so readiness there never passes.</summary>
    [Fact]
    public async Task HttpReadiness_OnAProbePortNothingServes_KeepsTheReplicaNotReady()
    {
        var name = Specs.UniqueName("probe-port");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, "  readiness: {type: http, path: /ready, port: 9090, periodSeconds: 0.5}"));
            var running = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Running", ContainerId: not null },
                Wait.Converge,
                $"the replica of {name} should run",
                w => w.Describe());
            var replica = running.Replicas[0];
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "readiness")) >= 4,
                ProbeReaction,
                $"readiness probes of {name} should run",
                t => PrometheusText.LinesWith(t, name));

            await Hold.For(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.ReadyReplicas == 0 && w.Replicas.All(r => !r.Ready),
                TimeSpan.FromSeconds(2),
                $"the readiness probe of {name} names port 9090, where nothing serves, yet the replica became ready " +
                "(the probe went to the workload port 8080 instead)",
                w => w.Describe());
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task ExecReadiness_PassesOnlyOnceTheCommandSucceedsInsideTheContainer()
    {
        var name = Specs.UniqueName("exec");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, "  readiness: {type: exec, command: [test, -f, /tmp/ok], periodSeconds: 0.5}"));
            var running = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Running", ContainerId: not null },
                Wait.Converge,
                $"the replica of {name} should run",
                w => w.Describe());
            var replica = running.Replicas[0];
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "readiness"), ("result", "failure")) >= 3,
                ProbeReaction,
                $"the exec readiness probe of {name} should fail while /tmp/ok is missing",
                t => PrometheusText.LinesWith(t, name));
            var notYet = await _crane.Api.GetExistingWorkloadAsync(name);
            Assert.True(notYet.ReadyReplicas == 0 && !notYet.Replicas[0].Ready, $"not ready without /tmp/ok: {notYet.Describe()}");

            await DockerCli.RunAsync("exec", replica.ContainerId!, "touch", "/tmp/ok");

            var ready = await Converge.AllReadyAsync(_crane, name, 1, timeout: ProbeReaction);
            Assert.Equal(replica.ContainerId, ready.Replicas[0].ContainerId);
            Assert.Equal(0, ready.Replicas[0].Restarts);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task ExecLiveness_Failing_RestartsTheContainer()
    {
        var name = Specs.UniqueName("exec-live");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, """
                  liveness: {type: exec, command: [test, '!', -e, /tmp/dead], periodSeconds: 0.5, failureThreshold: 2}
                  readiness: {type: http, path: /ready, periodSeconds: 0.5}
                """));
            var before = (await Converge.AllReadyAsync(_crane, name, 1)).Replicas[0];
            var mark = await LastEventIdAsync(name);

            await DockerCli.RunAsync("exec", before.ContainerId!, "touch", "/tmp/dead");

            var events = await ReplicaEventsWhenAsync(name, before.Id, es => es.Any(e => e.Id > mark && e.Reason == "Restarted"),
                $"replica {before.Id} of {name} should be restarted once its exec liveness probe fails");
            AssertKilledAfterExactly(events, mark, threshold: 2);
            var after = await Converge.AllReadyAsync(_crane, name, 1);
            Assert.Equal(before.Id, after.Replicas[0].Id);
            Assert.NotEqual(before.ContainerId, after.Replicas[0].ContainerId);
            Assert.Equal(1, after.Replicas[0].Restarts);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task StartupProbe_HoldsReadinessAndLiveness_UntilItSucceeds()
    {
        var name = Specs.UniqueName("startup");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Probed(name, 1, """
                  startup: {type: exec, command: [test, -f, /tmp/started], periodSeconds: 0.5, failureThreshold: 100}
                  liveness: {type: http, path: /health, periodSeconds: 0.5}
                  readiness: {type: http, path: /ready, periodSeconds: 0.5}
                """));
            var running = await Wait.Until(
                () => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 1 && w.Replicas[0] is { State: "Running", ContainerId: not null },
                Wait.Converge,
                $"the replica of {name} should run",
                w => w.Describe());
            var replica = running.Replicas[0];
            var metrics = await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "startup"), ("result", "failure")) >= 4,
                ProbeReaction,
                $"the startup probe of {name} should fail while /tmp/started is missing",
                t => PrometheusText.LinesWith(t, name));
            // /ready and /health answer 200 all along: only the startup probe keeps them from running.
            Assert.True(PrometheusText.Sum(metrics, "crane_probe_total", ("workload", name), ("probe", "readiness")) is null or 0 &&
                        PrometheusText.Sum(metrics, "crane_probe_total", ("workload", name), ("probe", "liveness")) is null or 0,
                $"no readiness or liveness probe may run before the startup probe passed: {PrometheusText.LinesWith(metrics, name)}");
            var notYet = await _crane.Api.GetExistingWorkloadAsync(name);
            Assert.True(notYet.ReadyReplicas == 0 && !notYet.Replicas[0].Ready, $"not ready before startup passed: {notYet.Describe()}");

            await DockerCli.RunAsync("exec", replica.ContainerId!, "touch", "/tmp/started");

            var ready = await Converge.AllReadyAsync(_crane, name, 1, timeout: ProbeReaction);
            Assert.Equal(replica.ContainerId, ready.Replicas[0].ContainerId);
            Assert.Equal(0, ready.Replicas[0].Restarts);
            await Wait.Until(
                _crane.Api.MetricsAsync,
                t => PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "readiness"), ("result", "success")) >= 1 &&
                     PrometheusText.Sum(t, "crane_probe_total", ("workload", name), ("replica", replica.Id), ("probe", "liveness"), ("result", "success")) >= 1,
                TimeSpan.FromSeconds(10),
                $"readiness and liveness of {name} should run once the startup probe passed",
                t => PrometheusText.LinesWith(t, name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    /// <summary>case, health block, expected field.</summary>
    public static TheoryData<string, string, string> BadProbes => new()
    {
        { "unknown type", "  liveness: {type: grpc, port: 8080}", "health.liveness.type" },
        { "http without path", "  readiness: {type: http, periodSeconds: 1}", "health.readiness.path" },
        { "negative failureThreshold", "  liveness: {type: http, path: /health, failureThreshold: -1}", "health.liveness.failureThreshold" },
        { "exec without command", "  startup: {type: exec, periodSeconds: 1}", "health.startup.command" },
        { "zero periodSeconds", "  readiness: {type: tcp, periodSeconds: 0}", "health.readiness.periodSeconds" },
        { "negative timeoutSeconds", "  readiness: {type: tcp, timeoutSeconds: -0.5}", "health.readiness.timeoutSeconds" },
        { "path on a tcp probe", "  readiness: {type: tcp, path: /ready}", "health.readiness.path" },
        { "successThreshold 2 on liveness", "  liveness: {type: tcp, successThreshold: 2}", "health.liveness.successThreshold" },
        { "port out of range", "  liveness: {type: tcp, port: 70000}", "health.liveness.port" },
    };

    [Theory]
    [MemberData(nameof(BadProbes))]
    public async Task BadProbeDefinition_Is400NamingTheField_AndCreatesNothing(string why, string health, string field)
    {
        var name = Specs.UniqueName("bad-probe");
        var response = await _crane.Api.ApplyAsync(Specs.Probed(name, 1, health));

        Assert.True(response.Status == HttpStatusCode.BadRequest, $"{why}: expected 400, got {response}");
        Assert.True(response.Json.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == field,
            $"{why}: expected field '{field}': {response}");
        Assert.False(string.IsNullOrWhiteSpace(response.Json.GetProperty("error").GetString()), $"{why}: no error text: {response}");
        Assert.True(response.Json.GetProperty("line").GetInt32() > 0, $"{why}: the error should carry a line: {response}");
        Assert.Null(await _crane.Api.GetWorkloadAsync(name));
    }

    private async Task<long> LastEventIdAsync(string workload) =>
        (await _crane.Api.EventsAsync($"?workload={workload}")).Select(e => e.Id).DefaultIfEmpty(0).Max();

    /// <summary>Every event about one replica, once <paramref name="done"/> accepts them.</summary>
    private Task<IReadOnlyList<EventDto>> ReplicaEventsWhenAsync(string workload, string replica, Func<IReadOnlyList<EventDto>, bool> done, string message) =>
        Wait.Until(
            async () => (IReadOnlyList<EventDto>)(await _crane.Api.EventsAsync($"?workload={workload}"))
                .Where(e => e.Object is { Kind: "Replica" } o && o.Name == replica)
                .ToList(),
            done,
            Wait.Converge,
            message,
            Describe);

    /// <summary>
    /// The first Killing after <paramref name="mark"/> (when the probe was made to fail) came right after the liveness failure
    /// numbered threshold/threshold, preceded by 1/threshold … in order (a run that may begin before the mark, with a failure of
    /// its own), and no restart came before it.
    /// </summary>
    private static EventDto AssertKilledAfterExactly(IReadOnlyList<EventDto> events, long mark, int threshold)
    {
        var killing = events.FirstOrDefault(e => e.Id > mark && e.Reason == "Killing")
                      ?? throw new Xunit.Sdk.XunitException($"no Killing event after the probe was made to fail: {Describe(events)}");
        Assert.Contains("liveness", killing.Message, StringComparison.Ordinal);
        var failures = events.Where(e => e.Id < killing.Id && e.Reason == "Unhealthy" && e.Message.Contains("liveness", StringComparison.Ordinal)).ToList();
        var run = failures.Skip(failures.FindLastIndex(e => e.Message.Contains($"(1/{threshold})", StringComparison.Ordinal))).ToList();
        Assert.True(run.Count == threshold && Enumerable.Range(1, threshold).All(i => run[i - 1].Message.Contains($"({i}/{threshold})", StringComparison.Ordinal)),
            $"Killing should follow exactly {threshold} consecutive liveness failures (1/{threshold} … {threshold}/{threshold}): {Describe(events)}");
        Assert.True(run[^1].Id > mark, $"the last liveness failure should come after the probe was made to fail (event #{mark}): {Describe(events)}");
        Assert.DoesNotContain(events, e => e.Reason is "Killing" or "Restarted" or "BackOff" && e.Id < killing.Id);
        return killing;
    }

    private static string Describe(IEnumerable<EventDto> events) => string.Join("; ", events.Select(e => e.Describe()));
}
