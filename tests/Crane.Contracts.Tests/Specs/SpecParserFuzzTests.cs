using System.Text.Json.Nodes;
using Crane.Contracts.Specs;
using Crane.Testing.Fuzzing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Crane.Contracts.Tests.Specs;

/// <summary>
/// Properties over SpecParser.Parse with a fixed seed and case count: whatever the text, it returns a spec that keeps
/// every limit, or an error with a message and a position, within <see cref="TextFuzz.Limit"/>; never an exception.
/// </summary>
public sealed class SpecParserFuzzTests
{
    private const string Replay = "(20260514, 977)";

    private const string Anchored = """
        # anchors, aliases, block scalars, tags and comments
        name: &n worker-1
        image: "registry.local:5000/w\u0078rk:1"
        replicas: !!int 2
        command: |
          set -e
          echo "start"	# a tab
          exec ./worker
        env: &e {MODE: batch, NAME: *n, MULTI: "a\nb\r\nc\td"}
        labels: *e
        resources: {cpu: 1m, memory: 4Mi}
        health:
          readiness: {type: exec, command: [sh, -c, 'test -f /ready'], periodSeconds: 86400}
        autoscaling: {min: 1, max: 1000, metric: memory, target: 80}
        """;

    private const string Escaped = """
        {"name":"esc","image":"b","command":"echo \"a\"\n\tb\r\n","args":["\u00e9","\ud83d\ude00","\\"],
         "env":{"A":"x\u0009y","B":""},"resources":{"cpu":"0.001","memory":4194304},"replicas":1000,
         "constraints":[{"key":"k","operator":"Lt","values":["-9223372036854775808"]}]}
        """;

    private static readonly string[] Yaml = [SpecParserTests.Full, Anchored];

    private static readonly string[] Json = [SpecJson.Serialize(SpecParser.Parse(SpecParserTests.Full).Spec!), Escaped];

    private static readonly string[] YamlTokens =
    [
        "{", "}", "[", "]", ",", ":", ": ", "- ", "? ", "&a ", "*a", "*n", "*e", "<<: *e", "!!str ", "!!map ", "!x ", "!<tag:a> ",
        "|", "|-\n", ">+\n", "'", "\"", "#", "%YAML 1.2\n", "---\n", "...\n", "\n", "\n  ", "\r", "\t", "\\", "\\0", "\\a",
        "\\x7f", "\\u0000", "\\uD800", "\\U0001F600", "~", "null", ".nan", ".inf", "-.inf", "1e-300", "1e999", "0x1F",
        "99999999999999999999", "1001", "0.0009", "3Mi", "0m", "name", "image", "replicas", "resources", "cpu", "memory",
        "env", "command", "autoscaling", "max", "min", "health", "constraints", "\u00e9", "\ud83d\ude00", "\ufeff",
    ];

    private static readonly string[] JsonTokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\\"", "\\u0000", "\\u0007", "\\u007f", "\\ud800", "\\udc00", "\\n", "\\t",
        "\\/", "\"\": ", "null", "true", "false", "-0", "1e-300", "1e999", "NaN", "Infinity", "-1", "1001", "0.0009",
        "\"3Mi\"", "18446744073709551616", "{}", "[]", "\"name\": ", "\"replicas\": ", "\"resources\": {\"cpu\": ", "&a ",
        "*a", "!!str ", "# ", "\n", "\r", "\t", " ", "\u2028", "\ufeff", "\ud83d\ude00",
    ];

    [Property(MaxTest = 1500, Replay = Replay, QuietOnSuccess = true)]
    public Property Mutated_yaml_parses_or_fails_clearly() =>
        Prop.ForAll(TextFuzz.Mutations(Yaml, YamlTokens), ParsesOrFailsClearly);

    [Property(MaxTest = 1500, Replay = Replay, QuietOnSuccess = true)]
    public Property Mutated_json_parses_or_fails_clearly() =>
        Prop.ForAll(TextFuzz.Mutations(Json, JsonTokens), ParsesOrFailsClearly);

    [Property(MaxTest = 1000, Replay = Replay, QuietOnSuccess = true)]
    public Property Random_text_parses_or_fails_clearly() =>
        Prop.ForAll(TextFuzz.RandomText([.. YamlTokens, .. JsonTokens]), ParsesOrFailsClearly);

    [Property(MaxTest = 300, Replay = Replay, QuietOnSuccess = true)]
    public Property Alias_chains_parse_or_fail_clearly() =>
        Prop.ForAll(Arb.From(AliasChains), ParsesOrFailsClearly);

    [Fact]
    public void Every_valid_base_parses()
    {
        foreach (var text in Yaml.Concat(Json))
            Assert.True(SpecParser.Parse(text).Ok, SpecParser.Parse(text).Error?.ToString());
    }

    /// <summary>Lists of aliases of the list before, over a base scalar: from harmless to far past every limit.</summary>
    private static Gen<FuzzInput> AliasChains =>
        from levels in Gen.Choose(1, 14)
        from width in Gen.Choose(1, 16)
        from baseLength in Gen.Choose(0, 3000)
        from flow in Gen.Elements(true, false)
        select new FuzzInput(AliasChain(levels, width, baseLength, flow), $"{levels} levels × {width} aliases over {baseLength} chars, flow {flow}");

    private static string AliasChain(int levels, int width, int baseLength, bool flow)
    {
        var lines = new List<string> { "name: a", "image: b", "args:", $"  - &l0 '{new string('x', baseLength)}'" };
        for (var level = 1; level <= levels; level++)
        {
            var aliases = Enumerable.Repeat($"*l{level - 1}", width);
            lines.Add(flow
                ? $"  - &l{level} [{string.Join(", ", aliases)}]"
                : $"  - &l{level}\n" + string.Join("\n", aliases.Select(a => "    - " + a)));
        }
        return string.Join("\n", lines);
    }

    private static void ParsesOrFailsClearly(FuzzInput input)
    {
        var result = TextFuzz.Within(() => SpecParser.Parse(input.Text), input);
        if (result.Spec is { } spec)
        {
            Assert.Null(result.Error);
            SpecInvariants.Hold(spec);
            return;
        }

        var error = Assert.IsType<SpecError>(result.Error);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.True(error.Line >= 1 && error.Column >= 1, $"no position in {error}");
        Assert.DoesNotContain(error.Message, SpecInvariants.IsControl);
    }
}

/// <summary>What every spec the parser accepts must satisfy, whatever text it came from.</summary>
internal static class SpecInvariants
{
    public static bool IsControl(char c) => c is < ' ' and not ('\t' or '\n' or '\r') or '\x7f';

    public static void Hold(WorkloadSpec spec)
    {
        Assert.InRange(spec.Resources.Cpu, 0.001, 1_000_000);
        Assert.True(spec.Resources.Memory >= 4L << 20, $"memory {spec.Resources.Memory}");
        Assert.InRange(spec.Replicas, 0, SpecParser.MaxReplicas);
        if (spec.Autoscaling is { } a)
            Assert.True(a.Min >= 1 && a.Min <= a.Max && a.Max <= SpecParser.MaxReplicas, $"autoscaling {a.Min}..{a.Max}");
        foreach (var text in Strings(JsonNode.Parse(SpecJson.Serialize(spec))))
            Assert.False(text.Any(IsControl), $"control character in '{text}'");
    }

    /// <summary>Every string of the serialized spec, property names (env and label keys) included.</summary>
    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
