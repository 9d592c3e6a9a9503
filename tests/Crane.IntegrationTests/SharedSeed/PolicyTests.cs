using System.Net;

namespace Crane.IntegrationTests;

/// <summary>Rego policies through the API of a real seed. Policies here only match workloads named pol-*, as the seed is shared.</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class PolicyTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    private Task<ApiResponse> Put(string id, string source, string? enforcement = null) =>
        _crane.Api.SendAsync(HttpMethod.Put, $"/api/v1/policies/{id}" + (enforcement is null ? "" : $"?enforcement={enforcement}"), source, "text/plain");

    [Fact]
    public async Task A_module_with_a_syntax_error_is_refused_with_its_line_and_is_not_stored()
    {
        var id = Specs.UniqueName("pol-broken");
        var response = await Put(id, "package crane.admission\n\ndeny contains msg if {\n  msg :=\n}\n");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(5, response.Json.GetProperty("line").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await _crane.Api.SendAsync(HttpMethod.Get, $"/api/v1/policies/{id}")).Status);
    }

    [Fact]
    public async Task A_deny_policy_refuses_a_violating_spec_with_403_and_creates_nothing()
    {
        var id = Specs.UniqueName("pol-memory");
        var name = Specs.UniqueName("pol-big");
        var policy = $$"""
            package crane.admission

            import rego.v1

            deny contains msg if {
            	input.workload.name == "{{name}}"
            	input.workload.resources.memory > 100000000
            	msg := sprintf("%s: memory %d is above 100000000", [input.workload.name, input.workload.resources.memory])
            }
            """;
        Assert.Equal(HttpStatusCode.OK, (await Put(id, policy)).Status);
        try
        {
            var denied = await _crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nresources: {{memory: 256Mi}}\n");

            Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
            var violation = denied.Json.GetProperty("violations")[0];
            Assert.Equal(id, violation.GetProperty("policy").GetString());
            Assert.Contains("memory 268435456 is above", violation.GetProperty("message").GetString());
            Assert.Null(await _crane.Api.GetWorkloadAsync(name));
            Assert.Contains(await _crane.Api.EventsAsync("?reason=PolicyDenied"), e => e.Message.Contains(name, StringComparison.Ordinal));
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
        }
    }

    [Fact]
    public async Task A_warn_policy_admits_and_returns_its_warning()
    {
        var id = Specs.UniqueName("pol-warn");
        var name = Specs.UniqueName("pol-noprobe");
        var policy = $$"""
            package crane.admission

            import rego.v1

            deny contains "no readiness probe" if {
            	input.workload.name == "{{name}}"
            	not input.workload.health.readiness
            }
            """;
        Assert.Equal(HttpStatusCode.OK, (await Put(id, policy, "warn")).Status);
        try
        {
            var admitted = await _crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n");

            Assert.Equal(HttpStatusCode.Created, admitted.Status);
            Assert.Contains($"{id}: no readiness probe", admitted.Json.GetProperty("warnings")[0].GetString());
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
            await _crane.Api.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task A_dryrun_policy_admits_and_counts_its_decision()
    {
        var id = Specs.UniqueName("pol-dry");
        var name = Specs.UniqueName("pol-dryrun");
        Assert.Equal(HttpStatusCode.OK, (await Put(id, $$"""
            package crane.admission

            import rego.v1

            deny contains "would be denied" if input.workload.name == "{{name}}"
            """, "dryrun")).Status);
        try
        {
            var admitted = await _crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n");

            Assert.Equal(HttpStatusCode.Created, admitted.Status);
            Assert.Contains(await _crane.Api.EventsAsync("?reason=PolicyDryRun"), e => e.Message.Contains("would be denied", StringComparison.Ordinal));
            Assert.Contains("crane_policy_decisions_total{kind=\"admission\",decision=\"allow\"}", await _crane.Api.MetricsAsync());
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
            await _crane.Api.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task A_scheduling_policy_keeps_replicas_off_a_forbidden_node_with_the_reason_in_pendingReason()
    {
        var id = Specs.UniqueName("pol-sched");
        var name = Specs.UniqueName("pol-nowhere");
        Assert.Equal(HttpStatusCode.OK, (await Put(id, $$"""
            package crane.scheduling

            import rego.v1

            deny contains sprintf("node %s is closed to %s", [input.node.name, input.workload.name]) if input.workload.name == "{{name}}"
            """)).Status);
        try
        {
            await _crane.Api.ApplyOkAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 1\n");

            var pending = await Wait.Until(
                async () => (await _crane.Api.GetWorkloadAsync(name))?.Replicas.FirstOrDefault(r => r.PendingReason?.Contains("policy:", StringComparison.Ordinal) == true),
                r => r is not null,
                TimeSpan.FromSeconds(20),
                "the replica is pending because of the scheduling policy");
            Assert.Contains($"node {_crane.NodeName} is closed to {name}", pending!.PendingReason);
            Assert.Null(pending.Node);
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
            await _crane.Api.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task A_scaling_policy_caps_a_scale_request_and_says_why()
    {
        var id = Specs.UniqueName("pol-cap");
        var name = Specs.UniqueName("pol-capped");
        Assert.Equal(HttpStatusCode.OK, (await Put(id, $$"""
            package crane.scaling

            import rego.v1

            max_replicas := 2 if input.workload.name == "{{name}}"
            """)).Status);
        try
        {
            await _crane.Api.ApplyOkAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n");

            var scaled = await _crane.Api.ScaleAsync(name, 5);

            Assert.Equal(HttpStatusCode.OK, scaled.Status);
            Assert.Equal(2, scaled.Json.GetProperty("replicas").GetInt32());
            Assert.Equal(2, (await _crane.Api.GetExistingWorkloadAsync(name)).DesiredReplicas);
            Assert.Contains(await _crane.Api.EventsAsync("?reason=ScalingLimited"), e => e.Message.Contains("max_replicas 2", StringComparison.Ordinal));
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
            await _crane.Api.DeleteAsync(name);
        }
    }
}

[Collection(OwnCraneCollection.Name)]
public sealed class PolicyFailureTests
{
    [Theory]
    // an OPA that does not answer: admission fails closed by default, open when asked
    [InlineData("closed", HttpStatusCode.ServiceUnavailable)]
    [InlineData("open", HttpStatusCode.Created)]
    public async Task When_the_policy_engine_cannot_answer_admission_follows_policy_failure(string mode, HttpStatusCode expected)
    {
        // Port 1 on loopback: nothing listens, so every OPA call is refused at once.
        await using var crane = await CraneProcess.StartAsync(new CraneProcessOptions
        {
            ExtraArgs = ["--opa-url", "http://127.0.0.1:1", "--policy-failure", mode],
        });
        var name = Specs.UniqueName("pol-down");

        var response = await crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n");

        Assert.Equal(expected, response.Status);
        if (expected == HttpStatusCode.ServiceUnavailable)
            Assert.Null(await crane.Api.GetWorkloadAsync(name));
    }

    [Fact]
    public async Task A_policy_that_never_ends_gives_a_clear_error_and_Crane_keeps_running()
    {
        await using var crane = await CraneProcess.StartAsync();
        // Four million combinations: far more steps than the evaluation budget allows.
        var looping = """
            package crane.admission

            import rego.v1

            deny contains "never" if {
            	some a in numbers.range(1, 2000)
            	some b in numbers.range(1, 2000)
            	a * b < 0
            }
            """;
        var put = await crane.Api.SendAsync(HttpMethod.Put, "/api/v1/policies/looping", looping, "text/plain");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var name = Specs.UniqueName("pol-loop");

        var refused = await crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        Assert.Contains("eval_budget_exceeded", refused.Json.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await crane.Api.SendAsync(HttpMethod.Get, "/healthz")).Status);

        await crane.Api.SendAsync(HttpMethod.Delete, "/api/v1/policies/looping");
        Assert.Equal(HttpStatusCode.Created, (await crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: 0\n")).Status);
    }
}
