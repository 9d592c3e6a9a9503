using Akka.Actor;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Policy;
using Crane.Contracts.Messages;

namespace Crane.Actors.Tests;

public sealed class PolicyActorTests() : TestKit(TestConfig.Cluster)
{
    private const string MemoryLimit = """
        package crane.admission

        import rego.v1

        deny contains msg if {
        	input.workload.resources.memory > 100
        	msg := sprintf("%s wants %d bytes", [input.workload.name, input.workload.resources.memory])
        }
        """;

    private IActorRef NewPolicyActor() =>
        Sys.ActorOf(PolicyActor.Props(new EmbeddedPolicyEngine(TimeProvider.System), new EventPublisher(Sys, TimeProvider.System)));

    private static string Workload(long memory) => $$$"""{"name": "web", "image": "x", "resources": {"cpu": 0.1, "memory": {{{memory}}}}}""";

    [Theory]
    // the same violation lands in a different list depending on the policy's enforcement
    [InlineData(Enforcement.Deny, 1, 0, 0)]
    [InlineData(Enforcement.Warn, 0, 1, 0)]
    [InlineData(Enforcement.DryRun, 0, 0, 1)]
    public void Admission_violations_follow_the_policy_enforcement(Enforcement enforcement, int denied, int warned, int dryRun)
    {
        var policy = NewPolicyActor();
        policy.Tell(new PutPolicy("memory", MemoryLimit, enforcement), TestActor);
        ExpectMsg<PolicyView>();

        policy.Tell(new EvaluateAdmission(Workload(1000), "create", "alice"), TestActor);
        var decision = ExpectMsg<AdmissionDecision>();

        Assert.True(decision.Available);
        Assert.Equal((denied, warned, dryRun), (decision.Violations.Count, decision.Warnings.Count, decision.DryRun.Count));
        Assert.Equal("web wants 1000 bytes", decision.Violations.Concat(decision.Warnings).Concat(decision.DryRun).Single().Message);
    }

    [Fact]
    public void A_workload_within_the_policy_is_admitted()
    {
        var policy = NewPolicyActor();
        policy.Tell(new PutPolicy("memory", MemoryLimit, Enforcement.Deny), TestActor);
        ExpectMsg<PolicyView>();

        policy.Tell(new EvaluateAdmission(Workload(50), "create", "alice"), TestActor);

        Assert.Empty(ExpectMsg<AdmissionDecision>().Violations);
    }

    [Fact]
    public void A_module_that_does_not_compile_is_refused_with_its_position_and_changes_nothing()
    {
        var policy = NewPolicyActor();
        policy.Tell(new PutPolicy("broken", "package crane.admission\n\ndeny contains msg if {\n  msg :=\n}\n", Enforcement.Deny), TestActor);

        var invalid = ExpectMsg<PolicyInvalid>();
        Assert.Equal(5, invalid.Line);
        policy.Tell(ListPolicies.Instance, TestActor);
        Assert.Empty(ExpectMsg<PolicyListView>().Policies);
    }

    [Fact]
    public void Scheduling_policy_denies_nodes_by_name_with_its_message()
    {
        var policy = NewPolicyActor();
        policy.Tell(new PutPolicy("zones", """
            package crane.scheduling

            import rego.v1

            deny contains "zone b is closed" if input.node.labels.zone == "b"
            """, Enforcement.Deny), TestActor);
        ExpectMsg<PolicyView>();

        policy.Tell(new EvaluateScheduling("web", Workload(10), "r1",
            ["""{"name": "n1", "labels": {"zone": "a"}}""", """{"name": "n2", "labels": {"zone": "b"}}"""]), TestActor);
        var decision = ExpectMsg<SchedulingDecision>();

        Assert.Equal(["n2"], decision.Denied.Keys);
        Assert.Equal(["zone b is closed"], decision.Denied["n2"]);
    }

    [Fact]
    public void Scaling_policy_bounds_the_desired_count()
    {
        var policy = NewPolicyActor();
        policy.Tell(new PutPolicy("cap", """
            package crane.scaling

            import rego.v1

            max_replicas := 4 if input.workload.name == "web"
            """, Enforcement.Deny), TestActor);
        ExpectMsg<PolicyView>();

        policy.Tell(new EvaluateScaling("web", Workload(10), 2, 9), TestActor);
        var decision = ExpectMsg<ScalingDecision>();

        Assert.Equal(4, decision.Allowed);
        Assert.Contains("max_replicas 4", Assert.Single(decision.Reasons));
    }
}
