using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Crane.Actors.Autoscaling;
using Crane.Actors.Events;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using ScalingDecision = Crane.Contracts.Messages.ScalingDecision;

namespace Crane.Actors.Tests.Autoscaling;

/// <summary>
/// An IMetricsReader whose answers the test scripts (a function of the 0-based read number), so the autoscaler's loop
/// (calculator, behavior, policy, region, status, events) runs for real without a Prometheus.
/// </summary>
internal sealed class ScriptedMetricsReader(Func<int, ReplicaValues> script) : IMetricsReader
{
    private int _reads;

    public ConcurrentQueue<(string Workload, AutoscalingSpec Spec)> Requests { get; } = new();

    public int Reads => Volatile.Read(ref _reads);

    public static ScriptedMetricsReader Always(ReplicaValues values) => new(_ => values);

    public static ScriptedMetricsReader PerReplica(params (string Replica, double Value)[] values) =>
        Always(ReplicaValues.None with { PerReplica = values.ToDictionary(v => v.Replica, v => v.Value, StringComparer.Ordinal) });

    public Task<ReplicaValues> ReadAsync(string workload, AutoscalingSpec autoscaling, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _reads) - 1;
        Requests.Enqueue((workload, autoscaling));
        return Task.FromResult(script(n));
    }
}

/// <summary>
/// AutoscalerActor and its WorkloadAutoscaler children against a scripted metrics reader, a probe as the workload region
/// and a probe (auto-piloted) as the policy singleton. Time is the system clock; replicas started an hour ago.
/// </summary>
public sealed class AutoscalerActorWithScriptedMetricsTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.UtcNow - TimeSpan.FromHours(1);

    private static readonly AutoscalerSettings Settings = AutoscalerSettings.Default with { SyncPeriod = TimeSpan.FromMilliseconds(100) };

    private readonly TestProbe _region;
    private readonly TestProbe _policy;
    private readonly TestProbe _events;
    private readonly List<EvaluateScaling> _evaluated = [];

    public AutoscalerActorWithScriptedMetricsTests() : base(TestConfig.Cluster)
    {
        _region = CreateTestProbe("region");
        _policy = CreateTestProbe("policy");
        AnswerPolicy(e => new ScalingDecision(true, e.Desired, [], null));
        _events = CreateTestProbe("events");
        DistributedPubSub.Get(Sys).Mediator.Tell(new Subscribe(EventPublisher.Topic, _events.Ref), _events.Ref);
        _events.ExpectMsg<SubscribeAck>(Wait);
    }

    private void AnswerPolicy(Func<EvaluateScaling, ScalingDecision> decide) =>
        _policy.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is EvaluateScaling e)
            {
                lock (_evaluated)
                    _evaluated.Add(e);
                sender.Tell(decide(e));
            }

            return AutoPilot.KeepRunning;
        }));

    private IActorRef StartAutoscaler(IMetricsReader reader) =>
        Sys.ActorOf(AutoscalerActor.Props(Settings, reader, () => _region.Ref, _policy.Ref, new EventPublisher(Sys, TimeProvider.System), TimeProvider.System),
            "autoscaler");

    private static WorkloadSpec CpuSpec(string name, int replicas, int min = 1, int max = 10, double target = 30, ScalingBehaviorSpec? behavior = null) => new()
    {
        Name = name,
        Image = "crane/demo:latest",
        Replicas = replicas,
        Resources = new ResourceSpec(1.0, 64L * 1024 * 1024),
        Autoscaling = new AutoscalingSpec { Min = min, Max = max, Metric = "cpu", Target = target, Behavior = behavior },
    };

    private static AutoscaleReplica Ready(string id) => new(id, true, LongAgo, LongAgo);

    private static AutoscaleTarget Target(WorkloadSpec spec, int desired, params string[] replicas) =>
        new(spec.Name, spec, desired, replicas.Select(Ready).ToList());

    private static Dictionary<string, AutoscalerConditionView> Conditions(AutoscalerView view) => view.Conditions.ToDictionary(c => c.Type);

    private static void AssertCondition(AutoscalerView view, string type, bool status, string reason)
    {
        Assert.True(Conditions(view).TryGetValue(type, out var c), $"no {type} condition in [{string.Join(", ", view.Conditions.Select(x => x.Type))}]");
        Assert.Equal((type, status, reason), (c!.Type, c.Status, c.Reason));
    }

    private CraneEvent ExpectEvent(string reason, string workload) =>
        _events.FishForMessage<CraneEvent>(e => e.Reason == reason && e.Object.Name == workload, Wait);

    [Fact]
    public void Cpu_above_target_scales_up_with_the_arithmetic_and_reports_the_status()
    {
        // 0.3 + 0.5 + 0.7 cores of 1-core requests: 50 % against a 30 % target → ceil(50/30 × 3) = 5.
        var reader = ScriptedMetricsReader.PerReplica(("cpu-a", 0.3), ("cpu-b", 0.5), ("cpu-c", 0.7));
        var autoscaler = StartAutoscaler(reader);
        var spec = CpuSpec("cpu-web", 3);

        autoscaler.Tell(Target(spec, 3, "cpu-a", "cpu-b", "cpu-c"));

        var scale = _region.ExpectMsg<AutoscaleWorkload>(Wait);
        Assert.Equal(("cpu-web", 3, 5), (scale.Workload, scale.From, scale.To));
        Assert.Contains("cpu 50% of 30% target over 3 ready replicas", scale.Reason);
        Assert.Contains("ceil(1.667 × 3) = 5", scale.Reason);

        var report = _region.ExpectMsg<AutoscalerStatusReport>(Wait);
        Assert.Equal("cpu-web", report.Workload);
        var view = report.Status;
        Assert.Equal(("cpu", 30.0, 3, 5), (view.Metric, view.Target, view.CurrentReplicas, view.DesiredReplicas));
        Assert.Equal(50, view.CurrentValue!.Value, 6);
        Assert.NotNull(view.LastScaleTime);
        Assert.Equal(["AbleToScale", "ScalingActive", "ScalingLimited"], view.Conditions.Select(c => c.Type));
        Assert.True(Conditions(view)["AbleToScale"].Status);
        AssertCondition(view, "ScalingActive", true, "ValidMetricFound");
        AssertCondition(view, "ScalingLimited", false, "DesiredWithinRange");

        // The reader was asked for this workload's metric, and the policy for exactly this change.
        Assert.Contains(reader.Requests, r => r.Workload == "cpu-web" && r.Spec == spec.Autoscaling);
        lock (_evaluated)
        {
            var asked = _evaluated.First();
            Assert.Equal(("cpu-web", 3, 5), (asked.Workload, asked.Current, asked.Desired));
            Assert.Equal(SpecJson.Serialize(spec), asked.WorkloadJson);
        }
    }

    [Fact]
    public void A_recommendation_above_max_is_limited_to_max_with_TooManyReplicas()
    {
        var reader = ScriptedMetricsReader.PerReplica(("max-a", 0.3), ("max-b", 0.5), ("max-c", 0.7));
        var autoscaler = StartAutoscaler(reader);

        autoscaler.Tell(Target(CpuSpec("max-web", 3, max: 4), 3, "max-a", "max-b", "max-c"));

        var scale = _region.ExpectMsg<AutoscaleWorkload>(Wait);
        Assert.Equal((3, 4), (scale.From, scale.To));
        Assert.Contains("limited to 4 by max", scale.Reason);
        var view = _region.ExpectMsg<AutoscalerStatusReport>(Wait).Status;
        Assert.Equal(4, view.DesiredReplicas);
        AssertCondition(view, "ScalingLimited", true, "TooManyReplicas");
    }

    [Fact]
    public void Unavailable_metrics_never_scale_and_warn_until_they_come_back()
    {
        // Had the metrics been there, 4 replicas at 5 % of a 50 % target would go down to min 1 (no scale-down window).
        const int failures = 5;
        var values = ReplicaValues.None with
        {
            PerReplica = new Dictionary<string, double> { ["down-a"] = 0.05, ["down-b"] = 0.05, ["down-c"] = 0.05, ["down-d"] = 0.05 },
        };
        var reader = new ScriptedMetricsReader(n => n < failures ? ReplicaValues.Failed("down") : values);
        var autoscaler = StartAutoscaler(reader);
        var noScaleDownWindow = new ScalingBehaviorSpec(null, new ScalingRulesSpec { StabilizationWindowSeconds = 0 });

        autoscaler.Tell(Target(CpuSpec("down-web", 4, target: 50, behavior: noScaleDownWindow), 4, "down-a", "down-b", "down-c", "down-d"));

        // One status report per failed sync, and nothing else: no AutoscaleWorkload while the metric cannot be read.
        for (var i = 0; i < failures; i++)
        {
            var message = _region.ReceiveOne(Wait);
            var report = Assert.IsType<AutoscalerStatusReport>(message);
            var view = report.Status;
            Assert.Equal((4, 4), (view.CurrentReplicas, view.DesiredReplicas));
            Assert.Null(view.CurrentValue);
            AssertCondition(view, "ScalingActive", false, "MetricsUnavailable");
            Assert.Contains("down", Conditions(view)["ScalingActive"].Message);
        }

        var warning = ExpectEvent("MetricsUnavailable", "down-web");
        Assert.Equal((CraneEvent.Warning, "Workload"), (warning.Type, warning.Object.Kind));
        Assert.Contains("down", warning.Message);

        // Once the metric reads again, the same workload does scale down: the failures above were what held it.
        var scale = _region.FishForMessage<AutoscaleWorkload>(_ => true, Wait);
        Assert.Equal((4, 1), (scale.From, scale.To));
        var available = ExpectEvent("MetricsAvailable", "down-web");
        Assert.Equal(CraneEvent.Normal, available.Type);
    }

    [Fact]
    public void A_policy_that_allows_less_limits_the_scale_and_warns()
    {
        AnswerPolicy(e => new ScalingDecision(true, 4, ["team quota: at most 4 replicas"], null));
        var reader = ScriptedMetricsReader.PerReplica(("pol-a", 0.3), ("pol-b", 0.5), ("pol-c", 0.7));
        var autoscaler = StartAutoscaler(reader);

        autoscaler.Tell(Target(CpuSpec("pol-web", 3), 3, "pol-a", "pol-b", "pol-c"));

        var scale = _region.ExpectMsg<AutoscaleWorkload>(Wait);
        Assert.Equal((3, 4), (scale.From, scale.To));
        Assert.Contains("limited to 4 by policy: team quota: at most 4 replicas", scale.Reason);
        var view = _region.ExpectMsg<AutoscalerStatusReport>(Wait).Status;
        Assert.Equal(4, view.DesiredReplicas);
        AssertCondition(view, "AbleToScale", true, "SucceededRescale");

        var warning = ExpectEvent("ScalingLimited", "pol-web");
        Assert.Equal(CraneEvent.Warning, warning.Type);
        Assert.Contains("3 → 5 limited to 4", warning.Message);
        Assert.Contains("team quota", warning.Message);
    }

    [Fact]
    public void A_policy_that_denies_the_change_keeps_the_count()
    {
        AnswerPolicy(e => new ScalingDecision(true, e.Current, ["frozen"], null));
        var reader = ScriptedMetricsReader.PerReplica(("deny-a", 0.3), ("deny-b", 0.5), ("deny-c", 0.7));
        var autoscaler = StartAutoscaler(reader);

        autoscaler.Tell(Target(CpuSpec("deny-web", 3), 3, "deny-a", "deny-b", "deny-c"));

        var first = Assert.IsType<AutoscalerStatusReport>(_region.ReceiveOne(Wait)).Status;
        Assert.Equal((3, 3), (first.CurrentReplicas, first.DesiredReplicas));
        Assert.Null(first.LastScaleTime);
        AssertCondition(first, "AbleToScale", false, "PolicyDenied");
        Assert.Contains("frozen", Conditions(first)["AbleToScale"].Message);
        for (var i = 0; i < 2; i++)
            Assert.IsType<AutoscalerStatusReport>(_region.ReceiveOne(Wait));
    }

    [Fact]
    public void A_denied_scale_up_does_not_hold_back_the_next_one()
    {
        // The policy denies the first two requests, then allows: the third sync must scale 3 → 5, as nothing was added before.
        var asked = 0;
        AnswerPolicy(e => Interlocked.Increment(ref asked) <= 2 ? new ScalingDecision(true, e.Current, ["not yet"], null) : new ScalingDecision(true, e.Desired, [], null));
        var reader = ScriptedMetricsReader.PerReplica(("held-a", 0.3), ("held-b", 0.5), ("held-c", 0.7));
        var autoscaler = StartAutoscaler(reader);

        autoscaler.Tell(Target(CpuSpec("held-web", 3), 3, "held-a", "held-b", "held-c"));

        var scale = _region.FishForMessage<AutoscaleWorkload>(_ => true, Wait);
        Assert.Equal((3, 5), (scale.From, scale.To));
    }

    [Fact]
    public async Task A_target_without_autoscaling_stops_the_workload_autoscaler()
    {
        var reader = ScriptedMetricsReader.PerReplica(("stop-a", 0.3), ("stop-b", 0.3));
        var autoscaler = StartAutoscaler(reader);
        var spec = CpuSpec("stop-web", 2);
        autoscaler.Tell(Target(spec, 2, "stop-a", "stop-b"));
        // 30 % of a 30 % target: within tolerance, status only.
        Assert.Equal(2, _region.ExpectMsg<AutoscalerStatusReport>(Wait).Status.DesiredReplicas);
        var child = await Sys.ActorSelection(autoscaler.Path / "*").ResolveOne(Wait);
        Watch(child);

        autoscaler.Tell(new AutoscaleTarget("stop-web", spec with { Autoscaling = null }, 2, []));

        ExpectTerminated(child, Wait);
        // What the child sent before it stopped is already queued; after that, nothing more comes over several sync periods.
        _region.ReceiveWhile<object>(TimeSpan.FromMilliseconds(50), m => m);
        var readsAtStop = reader.Reads;
        _region.ExpectNoMsg(Settings.SyncPeriod * 5);
        Assert.Equal(readsAtStop, reader.Reads);

        // A null spec (the workload was deleted) stops it just the same, and an autoscaled target starts a new one.
        autoscaler.Tell(Target(spec, 2, "stop-a", "stop-b"));
        Assert.Equal(2, _region.FishForMessage<AutoscalerStatusReport>(_ => true, Wait).Status.CurrentReplicas);
        var second = await Sys.ActorSelection(autoscaler.Path / "*").ResolveOne(Wait);
        Watch(second);
        autoscaler.Tell(new AutoscaleTarget("stop-web", null, 2, []));
        ExpectTerminated(second, Wait);
    }

    [Fact]
    public void Autoscaling_turned_off_and_on_at_once_keeps_syncing()
    {
        var reader = ScriptedMetricsReader.PerReplica(("flip-a", 0.3), ("flip-b", 0.3));
        var autoscaler = StartAutoscaler(reader);
        var target = Target(CpuSpec("flip-web", 2), 2, "flip-a", "flip-b");
        autoscaler.Tell(target);
        _region.ExpectMsg<AutoscalerStatusReport>(Wait);

        autoscaler.Tell(target with { Spec = null });
        autoscaler.Tell(target);

        // Whatever the stopped child still sent, a new one syncs: reads go on and reports keep coming.
        var reads = reader.Reads;
        _region.FishForMessage<AutoscalerStatusReport>(_ => reader.Reads > reads, Wait);
    }

    [Fact]
    public void A_workload_wide_custom_value_counts_for_every_ready_replica()
    {
        const string query = "sum(rate(http_requests_total{workload=\"custom-web\"}[1m])) / 2";
        var reader = ScriptedMetricsReader.Always(ReplicaValues.None with { WorkloadWide = 25 });
        var autoscaler = StartAutoscaler(reader);
        var spec = CpuSpec("custom-web", 2) with { Autoscaling = new AutoscalingSpec { Min = 1, Max = 10, Metric = "custom", Target = 10, Query = query } };

        autoscaler.Tell(Target(spec, 2, "custom-a", "custom-b"));

        // 25 per replica against 10: ceil(2.5 × 2) = 5.
        var scale = _region.ExpectMsg<AutoscaleWorkload>(Wait);
        Assert.Equal((2, 5), (scale.From, scale.To));
        Assert.Contains("custom 25 of 10 target over 2 ready replicas", scale.Reason);
        var view = _region.ExpectMsg<AutoscalerStatusReport>(Wait).Status;
        Assert.Equal(("custom", 25.0, 10.0, 5), (view.Metric, view.CurrentValue, view.Target, view.DesiredReplicas));
        Assert.Contains(reader.Requests, r => r.Workload == "custom-web" && r.Spec.Query == query);
    }

    [Fact]
    public void A_fresh_autoscaler_waits_out_the_scale_down_window_before_leaving_the_current_count()
    {
        // 4 idle replicas want 1, but a loop that just started (restart, failover) has no history: it counts the current 4
        // as a recommendation made now and holds them for the 1 s scale-down window.
        var reader = ScriptedMetricsReader.PerReplica(("idle-a", 0.01), ("idle-b", 0.01), ("idle-c", 0.01), ("idle-d", 0.01));
        var autoscaler = StartAutoscaler(reader);
        var spec = CpuSpec("idle-web", 4, behavior: new ScalingBehaviorSpec(null, new ScalingRulesSpec { StabilizationWindowSeconds = 1 }));

        autoscaler.Tell(Target(spec, 4, "idle-a", "idle-b", "idle-c", "idle-d"));

        var first = _region.ExpectMsg<AutoscalerStatusReport>(Wait).Status;
        Assert.Equal(4, first.DesiredReplicas);
        Assert.Contains("held at 4 by the 1 s scale-down stabilization window", first.Message);
        AssertCondition(first, "AbleToScale", true, "ScaleDownStabilized");
        var scale = _region.FishForMessage<AutoscaleWorkload>(_ => true, Wait);
        Assert.Equal((4, 1), (scale.From, scale.To));
    }
}
