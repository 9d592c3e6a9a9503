using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Crane.Actors.Policy;
using Crane.Contracts.Specs;
using Crane.Rego;

namespace Crane.Benchmarks;

/// <summary>
/// One admission decision per operation over the sample policy set in deploy/policies: every module is asked
/// data.crane.admission.deny and data.crane.admission.warn, as PolicyActor does with the embedded engine.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class AdmissionBenchmarks
{
    private const long Mi = 1L << 20;
    private const long Gi = 1L << 30;
    private static readonly string[] Documents = ["crane.admission.deny", "crane.admission.warn"];

    // The embedded engine's per-decision limits (PolicyLimits.Default), here per evaluation.
    private static readonly EvalOptions Limits = PolicyLimits.Default with { TimeProvider = TimeProvider.System };

    private EmbeddedPolicyEngine _engine = null!;
    private string[] _policies = [];
    private (CompiledPolicy Policy, string Path)[] _compiled = [];
    private string _workloadJson = "";
    private JsonObject _input = null!;

    /// <summary>compliant: admitted without a message; violating: 6 denials and 2 warnings.</summary>
    [Params("compliant", "violating")]
    public string Spec { get; set; } = "compliant";

    [GlobalSetup]
    public void Setup()
    {
        var dir = Path.Combine(RepoRoot(), "deploy", "policies");
        // As crane-seed --policies-dir loads them.
        var modules = PolicyFiles.Read(dir).ToDictionary(p => p.Id, p => p.Source);
        _policies = [.. modules.Keys];
        _engine = new EmbeddedPolicyEngine(TimeProvider.System);
        _engine.Load(modules, CancellationToken.None).GetAwaiter().GetResult();
        _compiled = modules
            .SelectMany(m => Documents.Select(d => (RegoCompiler.Compile(m.Key, m.Value).Value!, "data." + d)))
            .ToArray();

        var compliant = new WorkloadSpec
        {
            Name = "api-service",
            Image = "crane/demo:1.4.2",
            Replicas = 3,
            Port = 8080,
            Resources = new ResourceSpec(0.3, 64 * Mi),
            Health = new HealthSpec(
                new ProbeSpec { Type = "http", Path = "/health", PeriodSeconds = 2 },
                new ProbeSpec { Type = "http", Path = "/ready", PeriodSeconds = 1 },
                new ProbeSpec { Type = "tcp", FailureThreshold = 30 }),
            Env = new Dictionary<string, string> { ["VERSION"] = "2", ["LOG_LEVEL"] = "info" },
            Labels = new Dictionary<string, string> { ["app"] = "api-service", ["tier"] = "web" },
            Strategy = "spread",
            SpreadKey = "zone",
        };
        var spec = Spec == "compliant"
            ? compliant
            : compliant with { Image = "nginx:latest", Replicas = 30, Resources = new ResourceSpec(6, 16 * Gi), Health = null, Strategy = null };
        _workloadJson = SpecJson.Serialize(spec);
        _input = Input();

        var (deny, warn) = Admit().GetAwaiter().GetResult();
        var expected = Spec == "compliant" ? (0, 0) : (6, 2);
        if ((deny, warn) != expected)
            throw new InvalidOperationException($"{Spec}: {deny} denials and {warn} warnings, expected {expected}");
        if (InputConvertedOnce() != EvaluateOnly())
            throw new InvalidOperationException("the two evaluation paths disagree on which documents are defined");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"no Crane.sln above {AppContext.BaseDirectory}");
    }

    private JsonObject Input() => new()
    {
        ["workload"] = JsonNode.Parse(_workloadJson),
        ["operation"] = "create",
        ["user"] = "alice",
    };

    /// <summary>What PolicyActor.Admission does per request: build the input, ask each policy for deny and warn, read the messages.</summary>
    [Benchmark(Baseline = true)]
    public async Task<(int Deny, int Warn)> Admit()
    {
        var input = Input();
        var deny = 0;
        var warn = 0;
        var decision = _engine.StartDecision();
        foreach (var policy in _policies)
        {
            deny += Count(await _engine.Evaluate(policy, "crane.admission.deny", input, decision, CancellationToken.None));
            warn += Count(await _engine.Evaluate(policy, "crane.admission.warn", input, decision, CancellationToken.None));
        }

        return (deny, warn);
    }

    /// <summary>Only the Rego evaluations (same JsonNode input, no JSON result conversion): the engine wrapper's share of <see cref="Admit"/>.</summary>
    [Benchmark]
    public int EvaluateOnly()
    {
        var defined = 0;
        foreach (var (policy, path) in _compiled)
        {
            if (policy.EvaluateValue(path, _input, null, Limits).Value is not null)
                defined++;
        }

        return defined;
    }

    /// <summary>
    /// The same evaluations with the input turned into a Rego value once per decision instead of once per
    /// evaluation (CompiledPolicy.Evaluate with a Value input): what the JSON conversion costs.
    /// </summary>
    [Benchmark]
    public int InputConvertedOnce()
    {
        var input = Value.FromJson(Input());
        var rows = 0;
        foreach (var (policy, path) in _compiled)
            rows += policy.Evaluate("result = " + path, input, null, Limits).Value!.Rows.Count;
        return rows;
    }

    private static int Count(JsonNode? node) => node is JsonArray array ? array.Count : 0;
}
