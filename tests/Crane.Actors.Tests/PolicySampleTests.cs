using System.Text.Json.Nodes;
using Crane.Actors.Policy;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Rego;

namespace Crane.Actors.Tests;

/// <summary>
/// The sample policies in deploy/policies, each compiled on its own as the embedded engine does and asked
/// the document PolicyActor asks, with inputs shaped as Crane sends them (the spec through SpecJson).
/// </summary>
public sealed class PolicySampleTests
{
    private const long Mi = 1L << 20;
    private const long Gi = 1L << 30;

    // A fifth of the embedded engine's per-decision budget for each evaluation: a sample policy must stay far below it.
    private static readonly EvalOptions Limits = new() { MaxSteps = 200_000 };

    private static readonly string PoliciesDir = Path.Combine(RepoRoot(), "deploy", "policies");

    /// <summary>A spec every sample policy accepts without a message.</summary>
    private static readonly WorkloadSpec Compliant = new()
    {
        Name = "api",
        Image = "crane/demo:1.4.2",
        Replicas = 3,
        Port = 8080,
        Resources = new ResourceSpec(0.5, 256 * Mi),
        Health = new HealthSpec(
            new ProbeSpec { Type = "http", Path = "/health", PeriodSeconds = 2 },
            new ProbeSpec { Type = "http", Path = "/ready", PeriodSeconds = 1 },
            null),
        Labels = new Dictionary<string, string> { ["tier"] = "web" },
        Strategy = "spread",
    };

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"no Crane.sln above {AppContext.BaseDirectory}");
    }

    private static string Source(string policy) => File.ReadAllText(Path.Combine(PoliciesDir, policy + ".rego"));

    private static CompiledPolicy Compile(string policy)
    {
        var result = RegoCompiler.Compile(policy, Source(policy));
        Assert.True(result.IsOk, $"{policy}: {result.Error}");
        return result.Value!;
    }

    private static JsonObject Workload(WorkloadSpec spec) => JsonNode.Parse(SpecJson.Serialize(spec))!.AsObject();

    private static JsonObject Admission(JsonObject workload) =>
        new() { ["workload"] = workload, ["operation"] = "create", ["user"] = "alice" };

    private static JsonObject Scheduling(JsonObject workload, JsonObject nodeLabels) => new()
    {
        ["workload"] = workload,
        ["replica"] = "api-1",
        ["node"] = new JsonObject
        {
            ["name"] = "n1",
            ["labels"] = nodeLabels,
            ["capacity"] = new JsonObject { ["cpu"] = 8, ["memory"] = 16 * Gi },
            ["runtimes"] = new JsonArray("docker"),
        },
    };

    /// <summary>The messages of a set document (as PolicyActor reads it); undefined counts as none.</summary>
    private static string[] Messages(CompiledPolicy policy, string path, JsonNode input)
    {
        var result = policy.EvaluateValue(path, input, null, Limits);
        Assert.True(result.IsOk, $"{path}: {result.Error}");
        return result.Value?.ToJsonNode() switch
        {
            null => [],
            JsonArray messages => messages.Select(m => m!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray(),
            var other => throw new Xunit.Sdk.XunitException($"{path} is not a set of messages: {other.ToJsonString()}"),
        };
    }

    private static string[] Deny(string policy, JsonNode input) => Messages(Compile(policy), "data.crane.admission.deny", input);

    private static string[] Sorted(string[] messages) => messages.Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Every_sample_policy_compiles_on_its_own_as_rego_v1()
    {
        var files = Directory.GetFiles(PoliciesDir, "*.rego").Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 8, $"expected the 8 sample policies in {PoliciesDir}, found {files.Count}");
        var problems = files
            .Select(file => (File: Path.GetFileName(file), Source: File.ReadAllText(file)))
            .SelectMany(f =>
            {
                var result = RegoCompiler.Compile(f.File, f.Source);
                return new[]
                {
                    result.IsOk ? null : $"{f.File}: {result.Error}",
                    f.Source.Contains("\nimport rego.v1\n", StringComparison.Ordinal) ? null : $"{f.File}: no import rego.v1",
                };
            })
            .OfType<string>()
            .ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void Sample_policies_load_from_the_directory_with_deny_enforcement()
    {
        // A header line starting "# enforcement:" would change how --policies-dir loads a file.
        var loaded = PolicyFiles.Read(PoliciesDir);

        Assert.Equal(
            new[] { "allowed-repositories", "gpu-nodes", "image-tags", "max-share-per-node", "max-share", "probes", "replica-limits-scaling", "replica-limits", "resources" },
            loaded.Select(p => p.Id));
        Assert.All(loaded, p => Assert.Equal(Enforcement.Deny, p.Enforcement));
    }

    [Fact]
    public void A_compliant_spec_gets_no_message_from_any_sample_policy()
    {
        var admission = Admission(Workload(Compliant));
        var scheduling = Scheduling(Workload(Compliant), new JsonObject { ["zone"] = "a" });
        var scaling = new JsonObject { ["workload"] = Workload(Compliant), ["current"] = 3, ["desired"] = 5 };

        foreach (var file in Directory.GetFiles(PoliciesDir, "*.rego"))
        {
            var policy = Compile(Path.GetFileNameWithoutExtension(file));
            Assert.Empty(Messages(policy, "data.crane.admission.deny", admission));
            Assert.Empty(Messages(policy, "data.crane.admission.warn", admission));
            Assert.Empty(Messages(policy, "data.crane.scheduling.deny", scheduling));
            Assert.Empty(Messages(policy, "data.crane.scaling.deny", scaling));
        }
    }

    [Theory]
    [InlineData("crane/demo:1.4.2")]
    [InlineData("crane/demo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("localhost:5000/crane/demo:2")]
    [InlineData("crane/demo:latest-build")]
    [InlineData("crane/demo:latest",
        "workload api: image \"crane/demo:latest\" uses the disallowed tag \"latest\"; pin a version tag or a digest")]
    [InlineData("crane/demo",
        "workload api: image \"crane/demo\" has no tag (that means latest); pin a version tag or a digest")]
    // the ":5000" belongs to the registry host, not to the last path segment
    [InlineData("localhost:5000/crane/demo",
        "workload api: image \"localhost:5000/crane/demo\" has no tag (that means latest); pin a version tag or a digest")]
    public void Image_tags_denies_latest_and_untagged_images(string image, params string[] expected)
    {
        Assert.Equal(expected, Deny("image-tags", Admission(Workload(Compliant with { Image = image }))));
    }

    [Theory]
    [InlineData("crane/demo:1.4.2")]
    [InlineData("local/tool:7")]
    [InlineData("nginx:1.27",
        "workload api: image \"nginx:1.27\" is not from an allowed repository (crane/, local/)")]
    [InlineData("cranes/demo:1",
        "workload api: image \"cranes/demo:1\" is not from an allowed repository (crane/, local/)")]
    [InlineData("registry.internal/crane/demo:1",
        "workload api: image \"registry.internal/crane/demo:1\" is not from an allowed repository (crane/, local/)")]
    public void Allowed_repositories_denies_images_outside_the_list(string image, params string[] expected)
    {
        Assert.Equal(expected, Deny("allowed-repositories", Admission(Workload(Compliant with { Image = image }))));
    }

    [Theory]
    [InlineData("""{"cpu": 0.5, "memory": 268435456}""")]
    // exactly at the limits: 4 cores and 8Gi = 8 × 2^30 = 8589934592 bytes
    [InlineData("""{"cpu": 4, "memory": 8589934592}""")]
    [InlineData("""{"cpu": 4.5, "memory": 268435456}""",
        "workload api: resources.cpu is 4.5 cores, above the limit of 4 cores")]
    // 8Gi + 1 byte
    [InlineData("""{"cpu": 1, "memory": 8589934593}""",
        "workload api: resources.memory is 8589934593 bytes, above the limit of 8Gi")]
    [InlineData("""{"cpu": 8, "memory": 17179869184}""",
        "workload api: resources.cpu is 8 cores, above the limit of 4 cores",
        "workload api: resources.memory is 17179869184 bytes, above the limit of 8Gi")]
    [InlineData("""{"cpu": 0, "memory": 268435456}""",
        "workload api: resources.cpu is 0 cores, it must be greater than 0")]
    [InlineData("""{"memory": 268435456}""",
        "workload api: resources.cpu is required (a number)")]
    [InlineData("""{"cpu": "500m", "memory": 268435456}""",
        "workload api: resources.cpu is required (a number)")]
    [InlineData("""{}""",
        "workload api: resources.cpu is required (a number)",
        "workload api: resources.memory is required (a number)")]
    [InlineData("null",
        "workload api: resources.cpu is required (a number)",
        "workload api: resources.memory is required (a number)")]
    public void Resources_are_required_and_bounded(string resources, params string[] expected)
    {
        var workload = Workload(Compliant);
        workload.Remove("resources");
        if (JsonNode.Parse(resources) is { } given)
            workload["resources"] = given;

        Assert.Equal(Sorted(expected), Deny("resources", Admission(workload)));
    }

    [Theory]
    [InlineData(20, null)]
    [InlineData(1, 20)]
    [InlineData(21, null, "workload api: 21 replicas, above the limit of 20")]
    [InlineData(3, 30, "workload api: autoscaling.max 30, above the limit of 20 replicas")]
    [InlineData(25, 40,
        "workload api: 25 replicas, above the limit of 20",
        "workload api: autoscaling.max 40, above the limit of 20 replicas")]
    public void Replica_limits_denies_specs_above_20_replicas(int replicas, int? autoscalingMax, params string[] expected)
    {
        var spec = Compliant with
        {
            Replicas = replicas,
            Autoscaling = autoscalingMax is { } max ? new AutoscalingSpec { Min = 1, Max = max, Target = 0.7 } : null,
        };

        Assert.Equal(Sorted(expected), Deny("replica-limits", Admission(Workload(spec))));
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(20, 40)]
    public void Replica_limits_caps_scaling_at_the_admission_limit(int current, int desired)
    {
        var policy = Compile("replica-limits-scaling");
        var input = new JsonObject { ["workload"] = Workload(Compliant), ["current"] = current, ["desired"] = desired };

        var max = policy.EvaluateValue("data.crane.scaling.max_replicas", input, null, Limits);

        Assert.True(max.IsOk, max.Error?.ToString());
        Assert.Equal(20, max.Value!.ToJsonNode()!.GetValue<int>());
        // the admission half lets exactly that many through
        Assert.Empty(Deny("replica-limits", Admission(Workload(Compliant with { Replicas = 20 }))));
        Assert.Empty(Messages(policy, "data.crane.scaling.deny", input));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true, "workload api: no liveness probe (health.liveness)")]
    [InlineData(true, false, "workload api: no readiness probe (health.readiness)")]
    [InlineData(false, false,
        "workload api: no liveness probe (health.liveness)",
        "workload api: no readiness probe (health.readiness)")]
    public void Probes_warns_about_missing_readiness_and_liveness(bool liveness, bool readiness, params string[] expected)
    {
        var probe = new ProbeSpec { Type = "tcp" };
        var spec = Compliant with
        {
            Health = liveness || readiness ? new HealthSpec(liveness ? probe : null, readiness ? probe : null, probe) : null,
        };
        var policy = Compile("probes");
        var input = Admission(Workload(spec));

        Assert.Equal(Sorted(expected), Messages(policy, "data.crane.admission.warn", input));
        Assert.Empty(Messages(policy, "data.crane.admission.deny", input));
    }

    [Theory]
    [InlineData("""{"tier": "gpu"}""", """{"gpu": "true", "zone": "a"}""")]
    [InlineData("""{"tier": "web"}""", """{}""")]
    [InlineData("""{"tier": "web"}""", """{"gpu": "true"}""")]
    [InlineData("""{}""", """{"gpu": "false"}""")]
    [InlineData("""{"tier": "gpu"}""", """{"gpu": "false"}""",
        "workload api (tier=gpu) runs only on nodes labelled gpu=true; node n1 has gpu=false")]
    [InlineData("""{"tier": "gpu", "team": "ml"}""", """{"zone": "a"}""",
        "workload api (tier=gpu) runs only on nodes labelled gpu=true; node n1 has no label gpu")]
    public void Gpu_nodes_keeps_gpu_workloads_on_gpu_nodes(string workloadLabels, string nodeLabels, params string[] expected)
    {
        var labels = JsonNode.Parse(workloadLabels)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        var input = Scheduling(Workload(Compliant with { Labels = labels }), JsonNode.Parse(nodeLabels)!.AsObject());

        Assert.Equal(expected, Messages(Compile("gpu-nodes"), "data.crane.scheduling.deny", input));
    }

    [Theory]
    [InlineData(1, null, null)]
    [InlineData(1, null, "binpack")]
    [InlineData(3, null, "spread")]
    [InlineData(2, 10, "spread")]
    [InlineData(3, null, "binpack",
        "workload api: up to 3 replicas need strategy spread so that no node holds more than half of them (strategy: binpack)")]
    [InlineData(2, null, null,
        "workload api: up to 2 replicas need strategy spread so that no node holds more than half of them (strategy: not set)")]
    // 1 replica now, but the autoscaler may go to 5
    [InlineData(1, 5, "fewest-replicas",
        "workload api: up to 5 replicas need strategy spread so that no node holds more than half of them (strategy: fewest-replicas)")]
    public void Max_share_requires_spread_for_workloads_of_two_or_more_replicas(int replicas, int? autoscalingMax, string? strategy, params string[] expected)
    {
        var spec = Compliant with
        {
            Replicas = replicas,
            Strategy = strategy,
            Autoscaling = autoscalingMax is { } max ? new AutoscalingSpec { Min = 1, Max = max, Target = 0.7 } : null,
        };

        Assert.Equal(expected, Deny("max-share", Admission(Workload(spec))));
    }

    [Fact]
    public void All_admission_samples_merged_into_one_package_give_the_union_of_their_messages()
    {
        // OPA merges every module into one tree (as OpaPolicyEngine loads them): helper names must not clash.
        var modules = Directory.GetFiles(PoliciesDir, "*.rego").Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList();
        var merged = RegoCompiler.Compile(modules);
        Assert.True(merged.IsOk, merged.Error?.ToString());
        var spec = Compliant with { Image = "nginx", Replicas = 30, Resources = new ResourceSpec(6, 256 * Mi), Health = null, Strategy = null };
        var input = Admission(Workload(spec));

        var expectedDeny = new[] { "allowed-repositories", "image-tags", "max-share", "replica-limits", "resources" }.SelectMany(p => Deny(p, input));
        var expectedWarn = Messages(Compile("probes"), "data.crane.admission.warn", input);

        Assert.Equal(Sorted(expectedDeny.ToArray()), Messages(merged.Value!, "data.crane.admission.deny", input));
        Assert.Equal(expectedWarn, Messages(merged.Value!, "data.crane.admission.warn", input));
        Assert.Equal(5, Messages(merged.Value!, "data.crane.admission.deny", input).Length);
    }

    [Theory]
    // 4 replicas: at most ceil(4 / 2) = 2 per node, so a node holding 2 gets no third
    [InlineData(4, 1)]
    [InlineData(4, 2, "node n1 already holds 2 of the 4 replicas of api (at most 2 per node)")]
    // 3 replicas: at most ceil(3 / 2) = 2
    [InlineData(3, 1)]
    [InlineData(3, 2, "node n1 already holds 2 of the 3 replicas of api (at most 2 per node)")]
    // one replica is never limited
    [InlineData(1, 0)]
    public void Max_share_per_node_keeps_a_node_from_holding_more_than_half_of_a_workload(int replicas, int onNode, params string[] expected)
    {
        var input = Scheduling(Workload(Compliant with { Replicas = replicas }), new JsonObject());
        input["node"]!["workloadReplicas"] = onNode;

        Assert.Equal(expected, Messages(Compile("max-share-per-node"), "data.crane.scheduling.deny", input));
    }
}
