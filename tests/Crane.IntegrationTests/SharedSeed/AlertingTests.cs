using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>
/// Alerts through the seed's real Prometheus (1 s scrape and evaluation, 1 s resend delay) and its real Alertmanager to
/// POST /api/v1/alerts, and the actions Crane takes (issue 8); rules are loaded with PUT /api/v1/rules.
/// </summary>
[Collection(SharedCraneCollection.Name)]
public sealed class AlertingTests(SharedCraneFixture fixture, ITestOutputHelper output)
{
    /// <summary>Fault → scrape fails (1 s) → for 1 s → evaluation (1 s) → Alertmanager group_wait (1 s) → webhook → action, with room for a busy host.</summary>
    private static readonly TimeSpan AlertDeadline = TimeSpan.FromSeconds(45);

    private readonly CraneProcess _crane = fixture.Crane;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };

    private Task<ApiResponse> PutRulesAsync(string yaml) => _crane.Api.SendAsync(HttpMethod.Put, "/api/v1/rules", yaml, "application/yaml");

    private static string Rule(string alert, string expr, string action) => $$"""
        groups:
          - name: test
            rules:
              - alert: {{alert}}
                expr: {{expr}}
                for: 1s
                labels: {severity: critical, crane_action: {{action}}}
                annotations: {summary: "{{alert}} for {{"{{"}} $labels.workload {{"}}"}}"}
        """;

    [Fact]
    public async Task A_replica_whose_metrics_stop_answering_fires_InstanceDown_and_Crane_restarts_it_once()
    {
        var name = Specs.UniqueName("al-down");
        try
        {
            var rules = await PutRulesAsync(Rule("InstanceDown", $"up{{job=\"replicas\",workload=\"{name}\"}} == 0", "restart"));
            Assert.True(rules.Status == HttpStatusCode.OK, rules.Body);
            Assert.True(rules.Json.GetProperty("reloaded").GetBoolean(), rules.Body);
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            var replica = ready.Replicas[0];
            await Wait.Until(() => UpAsync(name), up => up == 1, TimeSpan.FromSeconds(30), $"Prometheus should scrape {name} first", up => $"up = {up}");

            var fault = Stopwatch.StartNew();
            await GetAsync(replica, "/fail/metrics");
            var restarted = await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Any(r => r.Id == replica.Id && r.Restarts == 1 && r.Ready && r.ContainerId != replica.ContainerId), AlertDeadline,
                $"InstanceDown should fire and Crane restart {replica.Id} in a new container", w => w.Describe());
            output.WriteLine($"metrics failing → replica restarted and ready after {fault.Elapsed.TotalSeconds:0.0}s");

            var events = await _crane.Api.EventsAsync($"?workload={name}");
            var chain = Reasons(events, "AlertReceived", "AlertActed", "Killing", "Restarted");
            Assert.True(chain.Count == 4, $"event chain AlertReceived → AlertActed → Killing → Restarted, got:\n{string.Join("\n", events.Select(e => e.Describe()))}");
            Assert.Contains("InstanceDown firing", chain[0].Message);
            Assert.Contains($"restarting replica {replica.Id}", chain[1].Message);

            // The new container's /metrics answers: the alert resolves, and a resolved alert does nothing.
            await Wait.Until(() => _crane.Api.EventsAsync($"?workload={name}&reason=AlertReceived"), e => e.Any(x => x.Message.Contains("InstanceDown resolved", StringComparison.Ordinal)),
                AlertDeadline, "the resolved notification should arrive", e => string.Join("\n", e.Select(x => x.Describe())));
            var after = await _crane.Api.GetExistingWorkloadAsync(name);
            Assert.Equal(1, after.Replicas.Single(r => r.Id == replica.Id).Restarts);
            Assert.Single(await _crane.Api.EventsAsync($"?workload={name}&reason=AlertActed"));
            Assert.Equal(restarted.Replicas.Single(r => r.Id == replica.Id).ContainerId, after.Replicas.Single(r => r.Id == replica.Id).ContainerId);
        }
        finally
        {
            await RestoreShippedRulesAsync();
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task High_latency_fires_HighLatency_and_Crane_scales_up_one_step()
    {
        var name = Specs.UniqueName("al-slow");
        try
        {
            var expr = $"histogram_quantile(0.9, sum by (le, workload) (rate(demo_request_duration_seconds_bucket{{workload=\"{name}\"}}[5s]))) > 0.3";
            Assert.Equal(HttpStatusCode.OK, (await PutRulesAsync(Rule("HighLatency", expr, "scale_up"))).Status);
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            await GetAsync(ready.Replicas[0], "/slow?ms=500");

            using var stop = new CancellationTokenSource();
            var traffic = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await Nginx.GetByHostAsync(_crane, name);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                    }
                }
            });
            try
            {
                await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 2, AlertDeadline,
                    $"HighLatency should fire and Crane scale {name} to 2", w => w.Describe());
                // The alert keeps firing (the first replica is still slow) and is re-sent: the same incident acts once.
                await Hold.For(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.DesiredReplicas == 2, TimeSpan.FromSeconds(5),
                    "a re-sent HighLatency must not scale again", w => w.Describe());
            }
            finally
            {
                await stop.CancelAsync();
                await traffic;
            }

            var acted = Assert.Single(await _crane.Api.EventsAsync($"?workload={name}&reason=AlertActed"));
            Assert.Contains($"scaled {name} 1 → 2", acted.Message);
        }
        finally
        {
            await RestoreShippedRulesAsync();
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task The_same_alert_delivered_twice_acts_once_and_a_resolved_one_does_nothing()
    {
        var name = Specs.UniqueName("al-dup");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var replica = (await Converge.AllReadyAsync(_crane, name, 1)).Replicas[0];
            var firing = Payload(name, replica.Id, "firing");

            var first = await PostAlertsAsync(firing);
            var second = await PostAlertsAsync(firing);
            var resolved = await PostAlertsAsync(Payload(name, replica.Id, "resolved"));

            Assert.Equal("Act", Verdict(first));
            Assert.Equal("Duplicate", Verdict(second));
            Assert.Equal("NoAction", Verdict(resolved));
            await Wait.Until(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.Replicas.Single().Restarts == 1 && w.ReadyReplicas == 1, Wait.Converge,
                $"{replica.Id} should be restarted once", w => w.Describe());
            await Hold.For(() => _crane.Api.GetExistingWorkloadAsync(name), w => w.Replicas.Single().Restarts == 1, TimeSpan.FromSeconds(3),
                "the duplicate and the resolved alert must not restart it again", w => w.Describe());
            var ignored = await _crane.Api.EventsAsync($"?workload={name}&reason=AlertIgnored");
            Assert.Contains(ignored, e => e.Message.Contains("already", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(ignored, e => e.Message.Contains("resolved", StringComparison.Ordinal));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Theory]
    [InlineData("{not json", "not JSON")]
    [InlineData("""{"version":"3","status":"firing","alerts":[]}""", "version")]
    [InlineData("""{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{},"startsAt":"2026-11-25T15:50:22Z","fingerprint":"x"}]}""", "alertname")]
    public async Task A_malformed_payload_is_400_and_does_nothing(string body, string mentions)
    {
        var before = (await _crane.Api.EventsAsync("?reason=AlertReceived")).Count;

        var response = await _crane.Api.SendAsync(HttpMethod.Post, "/api/v1/alerts", body, "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(mentions, response.Json.GetProperty("error").GetString());
        Assert.Equal(before, (await _crane.Api.EventsAsync("?reason=AlertReceived")).Count);
    }

    [Fact]
    public async Task Rules_that_promtool_refuses_are_400_and_the_old_rules_stay()
    {
        var before = await _crane.Api.SendAsync(HttpMethod.Get, "/api/v1/rules");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        // The seed's Prometheus starts with the shipped rules (embedded in the binary); the other tests put them back.
        Assert.Contains("alert: InstanceDown", before.Body);

        var bad = await PutRulesAsync("groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[1m])\n");

        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("parse error", bad.Json.GetProperty("error").GetString());
        Assert.Equal(before.Body, (await _crane.Api.SendAsync(HttpMethod.Get, "/api/v1/rules")).Body);
    }

    private static string Payload(string workload, string replica, string status) => JsonSerializer.Serialize(new
    {
        receiver = "crane",
        status,
        alerts = new[]
        {
            new
            {
                status,
                labels = new Dictionary<string, string> { ["alertname"] = "InstanceDown", ["crane_action"] = "restart", ["workload"] = workload, ["replica"] = replica },
                annotations = new Dictionary<string, string> { ["summary"] = $"Replica {replica} is down" },
                startsAt = "2026-11-25T15:50:22.568Z",
                endsAt = status == "firing" ? "0001-01-01T00:00:00Z" : "2026-11-25T15:51:22.568Z",
                generatorURL = "http://127.0.0.1:9090/graph",
                fingerprint = $"fp-{workload}",
            },
        },
        groupLabels = new Dictionary<string, string> { ["alertname"] = "InstanceDown" },
        commonLabels = new Dictionary<string, string>(),
        commonAnnotations = new Dictionary<string, string>(),
        externalURL = "http://127.0.0.1:9093",
        version = "4",
        groupKey = "{}:{alertname=\"InstanceDown\"}",
        truncatedAlerts = 0,
    });

    private async Task<ApiResponse> PostAlertsAsync(string body)
    {
        var response = await _crane.Api.SendAsync(HttpMethod.Post, "/api/v1/alerts", body, "application/json");
        Assert.True(response.Status == HttpStatusCode.OK, response.Body);
        return response;
    }

    private static string Verdict(ApiResponse response) => response.Json.GetProperty("alerts")[0].GetProperty("verdict").GetString()!;

    /// <summary>The first event of each reason, in that order after one another, or fewer when the chain breaks.</summary>
    private static List<EventDto> Reasons(IReadOnlyList<EventDto> events, params string[] reasons)
    {
        var chain = new List<EventDto>();
        var from = 0L;
        foreach (var reason in reasons)
        {
            var next = events.FirstOrDefault(e => e.Id > from && e.Reason == reason);
            if (next is null)
                break;
            chain.Add(next);
            from = next.Id;
        }

        return chain;
    }

    private async Task<double?> UpAsync(string workload)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(
            $"http://127.0.0.1:{_crane.PrometheusPort}/api/v1/query?query={Uri.EscapeDataString($"up{{job=\"replicas\",workload=\"{workload}\"}}")}"));
        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task GetAsync(ReplicaDto replica, string path)
    {
        using var response = await _http.GetAsync($"http://127.0.0.1:{replica.HostPort}{path}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} on {replica.Id}: {(int)response.StatusCode}");
    }

    /// <summary>The shared seed keeps serving other tests: put back the rules it started with.</summary>
    private async Task RestoreShippedRulesAsync()
    {
        var shipped = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "rules", "crane.rules.yml"));
        await PutRulesAsync(shipped);
    }
}
