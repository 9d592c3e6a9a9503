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

    private IActorRef NewScheduler(IPolicyEngine? engine = null, IActorRef? policyActor = null, TimeSpan? policyTimeout = null)
    {
        var events = new EventPublisher(Sys, TimeProvider.System);
        var policy = policyActor ?? Sys.ActorOf(PolicyActor.Props(engine ?? new EmbeddedPolicyEngine(TimeProvider.System), events));
        var filter = new PolicyFilter();
        return Sys.ActorOf(SchedulerActor.Props(new Placer(StrategyRegistry.CreateDefault(), "spread", [filter]), events, () => TestActor, policy, filter, policyTimeout));
    }

    private void RegisterNodes(IActorRef scheduler, int count)
    {
        for (var i = 1; i <= count; i++)
            scheduler.Tell(new RegisterNode(new NodeDescriptor($"n{i}", $"127.0.0.1:{i}", 2, 1 * Gi, new Dictionary<string, string>(), ["docker"]), CreateTestProbe().Ref));
    }

    // A million iterations for the workload named "slow" only: far past the 100,000 steps the engine below allows.
    private const string SlowForOneWorkload = """
        package crane.scheduling

        import rego.v1

        deny contains "never" if {
        	input.workload.name == "slow"
        	count([1 | some a in numbers.range(1, 1000); some b in numbers.range(1, 1000)]) < 0
        }
        """;

    [Fact]
    public void A_scheduling_policy_that_exceeds_its_budget_leaves_the_replica_unschedulable_with_the_reason()
    {
        var engine = new EmbeddedPolicyEngine(TimeProvider.System, PolicyLimits.Default with { MaxSteps = 100_000 });
        var events = new EventPublisher(Sys, TimeProvider.System);
        var policy = Sys.ActorOf(PolicyActor.Props(engine, events));
        policy.Tell(new PutPolicy("slow", SlowForOneWorkload, Enforcement.Deny), TestActor);
        ExpectMsg<PolicyView>();
        var scheduler = NewScheduler(policyActor: policy);
        RegisterNodes(scheduler, 3);

        // The policy answers for "fast", so placement goes on as usual.
        scheduler.Tell(new ScheduleReplica("fast", "fast-1", Spec("fast", 100 * 1024 * 1024)), TestActor);
        ExpectMsg<ReplicaPlaced>();
        scheduler.Tell(new ScheduleReplica("slow", "slow-1", Spec("slow", 100 * 1024 * 1024)), TestActor);
        var refused = ExpectMsg<ReplicaUnschedulable>();

        // Fail closed: every node is rejected, counted like the placer's other reasons, and the reason says why.
        Assert.StartsWith("0/3 nodes available: 3 scheduling policy could not be evaluated (policy slow: ", refused.Reason);
        Assert.Contains("eval_budget_exceeded", refused.Reason);
        Assert.Contains("step budget of 100000 steps", refused.Reason);
    }

    [Fact]
    public void A_scheduling_policy_that_does_not_answer_in_time_leaves_the_replica_unschedulable()
    {
        // A policy singleton that never answers: the scheduler's wait (decision timeout + 1 s) runs out.
        var silent = CreateTestProbe();
        var scheduler = NewScheduler(policyActor: silent.Ref, policyTimeout: TimeSpan.FromMilliseconds(100));
        RegisterNodes(scheduler, 2);

        scheduler.Tell(new ScheduleReplica("web", "web-1", Spec("web", 100 * 1024 * 1024)), TestActor);
        silent.ExpectMsg<EvaluateScheduling>();
        var refused = ExpectMsg<ReplicaUnschedulable>(TimeSpan.FromSeconds(10));

        Assert.StartsWith("0/2 nodes available: 2 scheduling policy could not be evaluated (", refused.Reason);
    }

    [Fact]
    public void A_policy_that_answers_again_lets_the_next_placement_through()
    {
        // The unavailable answer is not kept: each placement uses the answer it got.
        var filter = new PolicyFilter();
        var node = new NodeSnapshot("n1", new Resources(2, Gi), default, new Dictionary<string, string>(), new HashSet<string> { "docker" }, false, new Dictionary<string, int>());
        var request = SchedulerActor.ToRequest("web", Spec("web", 1024));

        filter.Apply(new SchedulingDecision(false, new Dictionary<string, IReadOnlyList<string>>(), "eval_budget_exceeded: x"));
        var closed = filter.Reject(node, request);
        filter.Apply(new SchedulingDecision(true, new Dictionary<string, IReadOnlyList<string>>(), null));

        Assert.Equal("scheduling policy could not be evaluated (eval_budget_exceeded: x)", closed);
        Assert.Null(filter.Reject(node, request));
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
