using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Workloads;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Actors.Tests;

public sealed class WorkloadActorTests() : TestKit(TestConfig.Cluster)
{
    private static readonly WorkloadSpec Web = new() { Name = "web", Image = "crane/demo:latest", Replicas = 2, Port = 8080 };

    private IActorRef Start(TestProbe scheduler, string name = "web", TestProbe? autoscaler = null, TestProbe? metrics = null) =>
        Sys.ActorOf(WorkloadActor.Props(name,
            new WorkloadPeers(scheduler.Ref, CreateTestProbe().Ref, (autoscaler ?? CreateTestProbe()).Ref, (metrics ?? CreateTestProbe()).Ref),
            WorkloadSettings.Default, new EventPublisher(Sys, TimeProvider.System), TimeProvider.System));

    private static readonly WorkloadSpec Autoscaled = Web with
    {
        Name = "auto",
        Replicas = 1,
        Autoscaling = new AutoscalingSpec { Min = 2, Max = 5, Metric = "cpu", Target = 50 },
    };

    private WorkloadView GetView(IActorRef workload, string name)
    {
        workload.Tell(new GetWorkload(name), TestActor);
        return ExpectMsg<WorkloadView>();
    }

    private static T Expect<T>(TestProbe probe) where T : class =>
        (T)probe.FishForMessage(m => m is T, TimeSpan.FromSeconds(5));

    private static TMessage ExpectToNode<TMessage>(TestProbe probe, out string node) where TMessage : NodeCommand
    {
        var msg = (ToNode)probe.FishForMessage(m => m is ToNode { Message: TMessage }, TimeSpan.FromSeconds(5));
        node = msg.Node;
        return (TMessage)msg.Message;
    }

    [Fact]
    public void Apply_places_every_replica_and_ensures_it_on_its_node()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler);

        workload.Tell(new ApplyWorkload(Web), TestActor);
        var accepted = ExpectMsg<ApplyAccepted>();
        Assert.True(accepted.Created);
        Assert.Equal(1, accepted.Generation);

        var placed = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var request = Expect<ScheduleReplica>(scheduler);
            scheduler.Reply(new ReplicaPlaced("web", request.ReplicaId, "n1"));
            var ensure = ExpectToNode<EnsureReplica>(scheduler, out var node);
            Assert.Equal("n1", node);
            Assert.Equal(request.ReplicaId, ensure.ReplicaId);
            Assert.Equal(1, ensure.Generation);
            placed.Add(ensure.ReplicaId);
        }

        foreach (var id in placed)
            workload.Tell(new ReplicaStatusReport("web", id, "n1", 1, ReplicaState.Running, "c-" + id, 30000, true, 0, null));

        AwaitAssert(() =>
        {
            workload.Tell(new GetWorkload("web"), TestActor);
            var view = ExpectMsg<WorkloadView>();
            Assert.Equal(2, view.ReadyReplicas);
            Assert.All(view.Replicas, r => Assert.Equal(ReplicaState.Running, r.State));
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Unschedulable_replicas_stay_pending_with_the_scheduler_reason()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler, "big");

        workload.Tell(new ApplyWorkload(Web with { Name = "big", Replicas = 1 }), TestActor);
        ExpectMsg<ApplyAccepted>();
        var request = Expect<ScheduleReplica>(scheduler);
        scheduler.Reply(new ReplicaUnschedulable("big", request.ReplicaId, "0/1 nodes available: 1 insufficient memory (requested 64Gi)"));

        AwaitAssert(() =>
        {
            workload.Tell(new GetWorkload("big"), TestActor);
            var replica = Assert.Single(ExpectMsg<WorkloadView>().Replicas);
            Assert.Equal(ReplicaState.Pending, replica.State);
            Assert.Contains("insufficient memory", replica.PendingReason);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_report_from_a_node_that_does_not_own_the_replica_is_answered_with_a_stop()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler, "fenced");
        workload.Tell(new ApplyWorkload(Web with { Name = "fenced", Replicas = 1 }), TestActor);
        ExpectMsg<ApplyAccepted>();
        var request = Expect<ScheduleReplica>(scheduler);
        scheduler.Reply(new ReplicaPlaced("fenced", request.ReplicaId, "n1"));
        ExpectToNode<EnsureReplica>(scheduler, out _);

        workload.Tell(new ReplicaStatusReport("fenced", request.ReplicaId, "n2", 1, ReplicaState.Running, "zombie", 1, true, 0, null));

        var stop = ExpectToNode<StopReplica>(scheduler, out var node);
        Assert.Equal("n2", node);
        Assert.Equal(request.ReplicaId, stop.ReplicaId);
    }

    [Fact]
    public void After_a_restart_the_workload_recovers_its_replicas_and_re_ensures_them()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler, "durable");
        workload.Tell(new ApplyWorkload(Web with { Name = "durable", Replicas = 1 }), TestActor);
        ExpectMsg<ApplyAccepted>();
        var request = Expect<ScheduleReplica>(scheduler);
        scheduler.Reply(new ReplicaPlaced("durable", request.ReplicaId, "n1"));
        ExpectToNode<EnsureReplica>(scheduler, out _);

        Watch(workload);
        Sys.Stop(workload);
        ExpectTerminated(workload);

        var restartedScheduler = CreateTestProbe();
        var restarted = Start(restartedScheduler, "durable");
        var sync = Expect<SyncAllocations>(restartedScheduler);
        Assert.Equal(request.ReplicaId, Assert.Single(sync.Allocations).ReplicaId);
        var ensure = ExpectToNode<EnsureReplica>(restartedScheduler, out var node);
        Assert.Equal(("n1", request.ReplicaId), (node, ensure.ReplicaId));

        restarted.Tell(new GetWorkload("durable"), TestActor);
        var view = ExpectMsg<WorkloadView>();
        Assert.Equal(1, view.DesiredReplicas);
        Assert.Equal("n1", Assert.Single(view.Replicas).Node);
    }

    [Fact]
    public void Scaling_down_stops_the_surplus_on_its_node()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler, "shrink");
        workload.Tell(new ApplyWorkload(Web with { Name = "shrink", Replicas = 2 }), TestActor);
        ExpectMsg<ApplyAccepted>();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var request = Expect<ScheduleReplica>(scheduler);
            scheduler.Reply(new ReplicaPlaced("shrink", request.ReplicaId, "n1"));
            ids.Add(request.ReplicaId);
        }

        workload.Tell(new ScaleWorkload("shrink", 1), TestActor);
        ExpectMsg<WorkloadAck>();
        var stop = ExpectToNode<StopReplica>(scheduler, out var node);
        Assert.Equal("n1", node);
        Assert.Contains(stop.ReplicaId, ids);
    }

    [Fact]
    public void Replicas_of_a_lost_node_are_replaced_elsewhere_and_the_workload_keeps_answering()
    {
        var scheduler = CreateTestProbe();
        var workload = Start(scheduler, "survivor");
        workload.Tell(new ApplyWorkload(Web with { Name = "survivor", Replicas = 2 }), TestActor);
        ExpectMsg<ApplyAccepted>();
        var placed = new Dictionary<string, string>();
        foreach (var node in new[] { "n1", "n2" })
        {
            var request = Expect<ScheduleReplica>(scheduler);
            scheduler.Reply(new ReplicaPlaced("survivor", request.ReplicaId, node));
            ExpectToNode<EnsureReplica>(scheduler, out _);
            placed[node] = request.ReplicaId;
        }

        workload.Tell(new NodeLost("survivor", "n2"));

        var replacement = Expect<ScheduleReplica>(scheduler);
        Assert.NotEqual(placed["n2"], replacement.ReplicaId);
        scheduler.Reply(new ReplicaPlaced("survivor", replacement.ReplicaId, "n1"));
        var ensure = ExpectToNode<EnsureReplica>(scheduler, out var target);
        Assert.Equal(("n1", replacement.ReplicaId), (target, ensure.ReplicaId));

        workload.Tell(new GetWorkload("survivor"), TestActor);
        var view = ExpectMsg<WorkloadView>();
        Assert.Equal(ReplicaState.Lost, view.Replicas.Single(r => r.Id == placed["n2"]).State);
        Assert.Equal(2, view.Replicas.Count(r => r.State != ReplicaState.Lost));
    }

    [Fact]
    public void The_autoscaler_scales_an_autoscaled_workload_within_its_bounds_across_applies()
    {
        var scheduler = CreateTestProbe();
        var autoscaler = CreateTestProbe();
        var workload = Start(scheduler, "auto", autoscaler);

        // replicas: 1 is below min 2: the workload starts at 2, and the autoscaler learns what it scales.
        workload.Tell(new ApplyWorkload(Autoscaled), TestActor);
        Assert.True(ExpectMsg<ApplyAccepted>().Created);
        Assert.Equal(2, GetView(workload, "auto").DesiredReplicas);
        var target = autoscaler.FishForMessage<AutoscaleTarget>(t => t.Desired == 2, TimeSpan.FromSeconds(5));
        Assert.Equal("auto", target.Workload);
        Assert.True(target.Autoscaled);
        Assert.Equal(Autoscaled.Autoscaling, target.Spec!.Autoscaling);
        Assert.Equal(2, target.Replicas.Count);
        Assert.All(target.Replicas, r => Assert.False(r.Ready));

        // A decision made from the current count applies; the autoscaler hears the new count.
        workload.Tell(new AutoscaleWorkload("auto", 2, 4, "autoscaler: cpu 100% of 50% target"));
        Assert.Equal(4, GetView(workload, "auto").DesiredReplicas);
        Assert.Equal(4, autoscaler.FishForMessage<AutoscaleTarget>(t => t.Desired == 4, TimeSpan.FromSeconds(5)).Replicas.Count);

        // A stale one (decided from 2, the count is 4 now) changes nothing; messages are in order, so the GET sees its outcome.
        workload.Tell(new AutoscaleWorkload("auto", 2, 3, "autoscaler: stale"));
        Assert.Equal(4, GetView(workload, "auto").DesiredReplicas);

        // Re-applying the same spec keeps the autoscaled count instead of resetting it to replicas: 1.
        workload.Tell(new ApplyWorkload(Autoscaled), TestActor);
        Assert.False(ExpectMsg<ApplyAccepted>().Changed);
        Assert.Equal(4, GetView(workload, "auto").DesiredReplicas);

        // A lower max clamps the count.
        var maxThree = Autoscaled with { Autoscaling = Autoscaled.Autoscaling! with { Max = 3 } };
        workload.Tell(new ApplyWorkload(maxThree), TestActor);
        Assert.True(ExpectMsg<ApplyAccepted>().Changed);
        var clamped = GetView(workload, "auto");
        Assert.Equal(3, clamped.DesiredReplicas);
        Assert.Equal(3, clamped.Spec.Autoscaling!.Max);
        Assert.Equal(3, autoscaler.FishForMessage<AutoscaleTarget>(t => t.Desired == 3, TimeSpan.FromSeconds(5)).Spec!.Autoscaling!.Max);
    }

    [Fact]
    public void The_autoscaler_status_shows_in_the_view_until_autoscaling_is_removed()
    {
        var scheduler = CreateTestProbe();
        var autoscaler = CreateTestProbe();
        var workload = Start(scheduler, "auto", autoscaler);
        workload.Tell(new ApplyWorkload(Autoscaled), TestActor);
        ExpectMsg<ApplyAccepted>();
        autoscaler.FishForMessage<AutoscaleTarget>(t => t.Autoscaled, TimeSpan.FromSeconds(5));
        Assert.Null(GetView(workload, "auto").Autoscaler);

        var now = DateTimeOffset.UtcNow;
        var status = new AutoscalerView("cpu", 80, 50, 2, 4, now, now, "cpu 80% of 50% target over 2 ready replicas: ceil(1.6 × 2) = 4",
            [new AutoscalerConditionView("ScalingActive", true, "ValidMetricFound", "the autoscaler was able to compute a replica count from cpu", now)]);
        workload.Tell(new AutoscalerStatusReport("auto", status));
        Assert.Equal(status, GetView(workload, "auto").Autoscaler);

        // Autoscaling removed: the autoscaler is told to stop (null spec), the status goes, and replicas: 2 is the count.
        workload.Tell(new ApplyWorkload(Autoscaled with { Replicas = 2, Autoscaling = null }), TestActor);
        Assert.True(ExpectMsg<ApplyAccepted>().Changed);
        var stop = autoscaler.FishForMessage<AutoscaleTarget>(t => !t.Autoscaled, TimeSpan.FromSeconds(5));
        Assert.Null(stop.Spec);
        Assert.Equal("auto", stop.Workload);
        var view = GetView(workload, "auto");
        Assert.Null(view.Autoscaler);
        Assert.Equal(2, view.DesiredReplicas);

        // A late report or decision from the autoscaler no longer applies.
        workload.Tell(new AutoscalerStatusReport("auto", status));
        workload.Tell(new AutoscaleWorkload("auto", 2, 5, "autoscaler: late"));
        view = GetView(workload, "auto");
        Assert.Null(view.Autoscaler);
        Assert.Equal(2, view.DesiredReplicas);
    }

    [Fact]
    public void Running_replicas_are_announced_as_metrics_targets_and_autoscale_replicas()
    {
        var scheduler = CreateTestProbe();
        var autoscaler = CreateTestProbe();
        var metrics = CreateTestProbe();
        var workload = Start(scheduler, "auto", autoscaler, metrics);
        workload.Tell(new ApplyWorkload(Autoscaled), TestActor);
        ExpectMsg<ApplyAccepted>();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var request = Expect<ScheduleReplica>(scheduler);
            scheduler.Reply(new ReplicaPlaced("auto", request.ReplicaId, "n1"));
            ids.Add(request.ReplicaId);
        }

        ids.Sort(StringComparer.Ordinal);
        workload.Tell(new ReplicaStatusReport("auto", ids[0], "n1", 1, ReplicaState.Running, "c-0", 31000, true, 0, null));
        workload.Tell(new ReplicaStatusReport("auto", ids[1], "n1", 1, ReplicaState.Running, "c-1", 31001, false, 0, null));

        var targets = metrics.FishForMessage<WorkloadMetricsTargets>(t => t.Endpoints.Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal("auto", targets.Workload);
        Assert.Equal([new MetricsEndpoint(ids[0], "n1", "127.0.0.1", 31000), new MetricsEndpoint(ids[1], "n1", "127.0.0.1", 31001)], targets.Endpoints);

        var target = autoscaler.FishForMessage<AutoscaleTarget>(t => t.Replicas.Count == 2 && t.Replicas.All(r => r.StartedAt is not null), TimeSpan.FromSeconds(5));
        Assert.Equal([ids[0], ids[1]], target.Replicas.Select(r => r.Id));
        Assert.True(target.Replicas[0].Ready);
        Assert.NotNull(target.Replicas[0].ReadySince);
        Assert.False(target.Replicas[1].Ready);
        Assert.Null(target.Replicas[1].ReadySince);

        // Deleted: the metrics owner drops the workload's endpoints and the autoscaler its child.
        workload.Tell(new DeleteWorkload("auto"), TestActor);
        ExpectMsg<WorkloadAck>();
        Assert.Empty(metrics.FishForMessage<WorkloadMetricsTargets>(t => t.Endpoints.Count == 0, TimeSpan.FromSeconds(5)).Endpoints);
        Assert.Null(autoscaler.FishForMessage<AutoscaleTarget>(t => !t.Autoscaled, TimeSpan.FromSeconds(5)).Spec);
    }
}
