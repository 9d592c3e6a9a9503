using System.Text.Json.Nodes;

namespace Crane.Rego.Tests;

public sealed class AdmissionPolicyTests
{
    private const string Policy = """
        package crane.admission

        import rego.v1

        allowed_registries := {"registry.crane.local/", "ghcr.io/crane/"}

        deny contains msg if {
            some c in input.workload.containers
            endswith(c.image, ":latest")
            msg := sprintf("container %q uses the latest tag", [c.name])
        }

        deny contains msg if {
            some c in input.workload.containers
            not strings.any_prefix_match(c.image, allowed_registries)
            msg := sprintf("container %q: image %s is not from an allowed registry", [c.name, c.image])
        }

        deny contains msg if {
            some c in input.workload.containers
            not c.resources.limits.memory
            msg := sprintf("container %q has no memory limit", [c.name])
        }

        deny contains msg if {
            some c in input.workload.containers
            units.parse_bytes(c.resources.limits.memory) > units.parse_bytes("2Gi")
            msg := sprintf("container %q: memory limit %s exceeds 2Gi", [c.name, c.resources.limits.memory])
        }

        deny contains msg if {
            input.workload.replicas > data.limits.max_replicas
            msg := sprintf("replicas %d exceed the limit of %d", [input.workload.replicas, data.limits.max_replicas])
        }

        warn contains "no readiness probe" if {
            some c in input.workload.containers
            not c.readinessProbe
        }
        """;

    private static readonly JsonNode Data = JsonNode.Parse("""{"limits": {"max_replicas": 5}}""")!;

    private static CompiledPolicy Compile()
    {
        var compiled = RegoCompiler.Compile("admission.rego", Policy);
        Assert.True(compiled.IsOk, compiled.Error?.ToString());
        return compiled.Value!;
    }

    private static List<string> Deny(string workloadJson)
    {
        var input = new JsonObject { ["workload"] = JsonNode.Parse(workloadJson), ["operation"] = "create" };
        var result = Compile().EvaluateValue("data.crane.admission.deny", input, Data);
        Assert.True(result.IsOk, result.Error?.ToString());
        return ((SetValue)result.Value!).Items.Select(v => ((StringValue)v).Value).ToList();
    }

    [Fact]
    public void CompliantWorkloadHasNoViolations()
    {
        var deny = Deny("""
            {"replicas": 3, "containers": [{"name": "web", "image": "registry.crane.local/web:1.4.2",
              "resources": {"limits": {"memory": "512Mi"}}, "readinessProbe": {"http": "/healthz"}}]}
            """);

        Assert.Empty(deny);
    }

    [Fact]
    public void EveryViolationHasItsOwnMessage()
    {
        var deny = Deny("""
            {"replicas": 9, "containers": [
              {"name": "web", "image": "docker.io/nginx:latest", "resources": {"limits": {"memory": "4Gi"}}},
              {"name": "sidecar", "image": "ghcr.io/crane/proxy:2.0"}]}
            """);

        Assert.Equal(
        [
            "container \"sidecar\" has no memory limit",
            "container \"web\" uses the latest tag",
            "container \"web\": image docker.io/nginx:latest is not from an allowed registry",
            "container \"web\": memory limit 4Gi exceeds 2Gi",
            "replicas 9 exceed the limit of 5",
        ], deny);
    }

    [Fact]
    public void WarningsAreASeparateDocument()
    {
        var input = JsonNode.Parse("""{"workload": {"replicas": 1, "containers": [{"name": "a", "image": "ghcr.io/crane/a:1"}]}}""");

        var result = Compile().Evaluate("w := data.crane.admission.warn", input, Data);

        Assert.True(result.IsOk, result.Error?.ToString());
        var row = Assert.Single(result.Value!.Rows);
        Assert.Equal("[\"no readiness probe\"]", row.Vars["w"].ToJson());
    }

    [Fact]
    public void QueryWithVariablesEnumeratesTheSet()
    {
        var input = JsonNode.Parse("""{"workload": {"replicas": 1, "containers": [{"name": "a", "image": "x:latest", "resources": {"limits": {"memory": "1Mi"}}}]}}""");

        var result = Compile().Evaluate("data.crane.admission.deny[msg]; startswith(msg, \"container\")", input, Data);

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(2, result.Value!.Rows.Count);
    }

    [Fact]
    public void MissingInputIsUndefinedNotAnError()
    {
        var result = Compile().EvaluateValue("data.crane.admission.deny", (JsonNode?)null, Data);

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(SetValue.Empty, result.Value);
    }
}
