using Akka.Actor;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Policy;
using Crane.Contracts.Messages;
using Crane.Rego;
using System.Text.Json.Nodes;

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

    // Iterates 2,000 elements: the same number of steps at every evaluation, whatever the input.
    private const string Busy = """
        package crane.admission

        import rego.v1

        deny contains "busy" if count([x | some x in numbers.range(1, 2000); x > 0]) < 0
        """;

    /// <summary>Steps one Busy module takes in an admission decision: its deny and its (undefined) warn.</summary>
    private static async Task<long> StepsOfOneBusyModule()
    {
        var engine = new EmbeddedPolicyEngine(TimeProvider.System, PolicyLimits.Default with { MaxSteps = long.MaxValue, Timeout = null });
        await engine.Load(new Dictionary<string, string> { ["busy"] = Busy }, CancellationToken.None);
        var decision = engine.StartDecision();
        var input = new JsonObject { ["workload"] = JsonNode.Parse(Workload(10)), ["operation"] = "create", ["user"] = "alice" };
        await engine.Evaluate("busy", "crane.admission.deny", input, decision, CancellationToken.None);
        await engine.Evaluate("busy", "crane.admission.warn", input, decision, CancellationToken.None);
        return decision.StepsUsed;
    }

    [Theory]
    // Each module takes 40 % of the decision's steps: 1 → 40 % and 2 → 80 % fit; 3 → 120 % and 5 → 200 % do
    // not, though every one of them alone would (each evaluation used to get the whole budget to itself).
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(5, false)]
    public async Task An_admission_decision_has_one_step_budget_for_all_its_modules(int modules, bool available)
    {
        var budget = await StepsOfOneBusyModule() * 100 / 40;
        var engine = new EmbeddedPolicyEngine(TimeProvider.System, PolicyLimits.Default with { MaxSteps = budget });
        var policy = Sys.ActorOf(PolicyActor.Props(engine, new EventPublisher(Sys, TimeProvider.System)));
        for (var i = 0; i < modules; i++)
        {
            policy.Tell(new PutPolicy($"busy-{i}", Busy, Enforcement.Deny), TestActor);
            ExpectMsg<PolicyView>();
        }

        policy.Tell(new EvaluateAdmission(Workload(10), "create", "alice"), TestActor);
        var decision = ExpectMsg<AdmissionDecision>();

        Assert.Equal(available, decision.Available);
        if (!available)
            Assert.Contains($"eval_budget_exceeded: evaluation exceeded the step budget of {budget} steps", decision.Error);
    }

    [Fact]
    public async Task A_scheduling_decision_has_one_step_budget_for_all_its_nodes()
    {
        // One module over 5 nodes: 5 evaluations of about 40 % each. Per node it would fit; per decision it does not.
        var perNode = await StepsOfOneBusyModule();
        var engine = new EmbeddedPolicyEngine(TimeProvider.System, PolicyLimits.Default with { MaxSteps = perNode * 100 / 40 });
        var policy = Sys.ActorOf(PolicyActor.Props(engine, new EventPublisher(Sys, TimeProvider.System)));
        policy.Tell(new PutPolicy("busy", Busy.Replace("crane.admission", "crane.scheduling"), Enforcement.Deny), TestActor);
        ExpectMsg<PolicyView>();

        policy.Tell(new EvaluateScheduling("web", Workload(10), "r1", Enumerable.Range(1, 5).Select(i => $$"""{"name": "n{{i}}"}""").ToList()), TestActor);
        var decision = ExpectMsg<SchedulingDecision>();

        Assert.False(decision.Available);
        Assert.Contains("eval_budget_exceeded", decision.Error);
    }
}
