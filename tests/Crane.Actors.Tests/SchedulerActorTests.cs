using Akka.Actor;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Policy;
using Crane.Actors.Scheduling;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Scheduling;

namespace Crane.Actors.Tests;

public sealed class SchedulerActorTests() : TestKit(TestConfig.Cluster)
{
    private const long Gi = 1024L * 1024 * 1024;

    private static WorkloadSpec Spec(string name, long memory) =>
        new() { Name = name, Image = "crane/demo:latest", Resources = new ResourceSpec(0.1, memory) };

    private IActorRef NewScheduler()
    {
        var events = new EventPublisher(Sys, TimeProvider.System);
        var policy = Sys.ActorOf(PolicyActor.Props(new EmbeddedPolicyEngine(TimeProvider.System), events));
        var filter = new PolicyFilter();
        return Sys.ActorOf(SchedulerActor.Props(new Placer(StrategyRegistry.CreateDefault(), "spread", [filter]), events, () => TestActor, policy, filter));
    }

    [Fact]
    public void A_sync_sent_while_a_placement_is_in_flight_keeps_that_reservation()
    {
        var scheduler = NewScheduler();
        var node = CreateTestProbe();
        scheduler.Tell(new RegisterNode(new NodeDescriptor("n1", "127.0.0.1:1", 2, 1 * Gi, new Dictionary<string, string>(), ["docker"]), node.Ref));

        // 400Mi + 400Mi fit in 1Gi; a third 400Mi does not.
        scheduler.Tell(new ScheduleReplica("a", "a1", Spec("a", 400 * 1024 * 1024)), TestActor);
        ExpectMsg<ReplicaPlaced>();
        // The workload has not seen ReplicaPlaced yet: a1 is still unbound in its state.
        scheduler.Tell(new SyncAllocations("a", [], ["a1"]), TestActor);
        scheduler.Tell(new ScheduleReplica("b", "b1", Spec("b", 400 * 1024 * 1024)), TestActor);
        ExpectMsg<ReplicaPlaced>();
        scheduler.Tell(new ScheduleReplica("c", "c1", Spec("c", 400 * 1024 * 1024)), TestActor);

        Assert.Contains("insufficient memory", ExpectMsg<ReplicaUnschedulable>().Reason);
    }

    [Fact]
    public void A_sync_without_a_replica_releases_its_reservation()
    {
        var scheduler = NewScheduler();
        scheduler.Tell(new RegisterNode(new NodeDescriptor("n1", "127.0.0.1:1", 2, 1 * Gi, new Dictionary<string, string>(), ["docker"]), CreateTestProbe().Ref));

        scheduler.Tell(new ScheduleReplica("a", "a1", Spec("a", 800 * 1024 * 1024)), TestActor);
        ExpectMsg<ReplicaPlaced>();
        scheduler.Tell(new SyncAllocations("a", [], []), TestActor);
        scheduler.Tell(new ScheduleReplica("b", "b1", Spec("b", 800 * 1024 * 1024)), TestActor);

        Assert.Equal("n1", ExpectMsg<ReplicaPlaced>().Node);
    }
}
