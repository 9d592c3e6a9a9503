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

    private IActorRef Start(TestProbe scheduler, string name = "web") =>
        Sys.ActorOf(WorkloadActor.Props(name, new WorkloadPeers(scheduler.Ref, CreateTestProbe().Ref, CreateTestProbe().Ref, CreateTestProbe().Ref), WorkloadSettings.Default,
            new EventPublisher(Sys, TimeProvider.System), TimeProvider.System));

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
}
