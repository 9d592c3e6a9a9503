using FsCheck;
using FsCheck.Fluent;
using YamlDotNet.RepresentationModel;

namespace Crane.Rego.Tests.Fuzz;

/// <summary>
/// Property: whatever the text, the lexer, parser, compiler and evaluator end in a result or a RegoError with a
/// code, never another exception and never a hang. Fixed seeds and case counts keep every run the same and the
/// whole set within about a minute on two cores; a failure prints the case, which then becomes a named test
/// in <see cref="FuzzRegressionTests"/>.
/// </summary>
public sealed class FuzzTests
{
    // CRANE_FUZZ_SEED and CRANE_FUZZ_SCALE explore further by hand; without them every run is the same.
    private static Config Fixed(int cases, ulong seed)
    {
        var scale = int.TryParse(Environment.GetEnvironmentVariable("CRANE_FUZZ_SCALE"), out var s) && s > 0 ? s : 1;
        var offset = ulong.TryParse(Environment.GetEnvironmentVariable("CRANE_FUZZ_SEED"), out var o) ? o : 0;
        return Config.QuickThrowOnFailure.WithMaxTest(cases * scale).WithEndSize(100 * scale)
            .WithReplay(seed + offset * 1000, 0x9E3779B97F4A7C15UL).WithQuietOnSuccess(true);
    }

    private static readonly string[] DataQueries = ["x = data"];

    [Fact]
    public void Random_characters_compile_or_fail_with_a_code() =>
        Prop.ForAll(Arb.From(RegoGen.CharacterSoup()), text =>
                FuzzHarness.CompileAndEvaluate([("soup.rego", text)], DataQueries))
            .Check(Fixed(1000, 1));

    [Fact]
    public void Random_tokens_compile_or_fail_with_a_code() =>
        Prop.ForAll(Arb.From(RegoGen.TokenSoup()), text =>
                FuzzHarness.CompileAndEvaluate([("tokens.rego", text)], DataQueries))
            .Check(Fixed(2000, 2));

    [Fact]
    public void Random_queries_parse_or_fail_with_a_code() =>
        Prop.ForAll(Arb.From(RegoGen.TokenSoup()), query =>
                FuzzHarness.CompileAndEvaluate([("p.rego", "package p\n\nx := 1\n")], [query]))
            .Check(Fixed(400, 3));

    [Fact]
    public void Built_in_calls_on_random_arguments_end_in_a_value_or_an_error() =>
        Prop.ForAll(Arb.From(RegoGen.Term().SelectMany(_ => RegoGen.Call(RegoGen.Term()), (_, call) => call)), call =>
            {
                FuzzHarness.CompileAndEvaluate([("f.rego", "package f\n")], [$"x := {call}"]);
                FuzzHarness.CompileAndEvaluate([("f.rego", "package f\n")], [$"x := {call}"], strict: true);
            })
            .Check(Fixed(800, 4));

    [Fact]
    public void Every_built_in_on_random_arguments_ends_in_a_value_or_an_error()
    {
        // Each built-in gets its own cases: picked at random among ~180, a given one would see few of them.
        var index = 0UL;
        foreach (var def in Builtins.All.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var arity = def.Arity < 0 ? 2 : def.Arity;
            Prop.ForAll(Arb.From(Gen.ArrayOf(RegoGen.Argument(), arity)), args =>
                {
                    var query = $"x := {def.Name}({string.Join(", ", args)})";
                    FuzzHarness.CompileAndEvaluate([("f.rego", "package f\n")], [query], strict: true);
                })
                .Check(Fixed(30, 100 + index++));
        }
    }

    [Fact]
    public void Mutated_real_policies_compile_or_fail_with_a_code()
    {
        var corpus = Corpus();
        var mutated =
            from i in Gen.Choose(0, corpus.Count - 1)
            from text in RegoGen.Mutation(corpus[i])
            select text;
        Prop.ForAll(Arb.From(mutated), text =>
                FuzzHarness.CompileAndEvaluate([("mutated.rego", text)], DataQueries))
            .Check(Fixed(3000, 5));
    }

    [Fact]
    public void Deep_nesting_is_an_error_or_a_value_not_a_stack_overflow() =>
        Prop.ForAll(Arb.From(RegoGen.DeepNesting()), c =>
                FuzzHarness.CompileAndEvaluate([($"{c.Shape}-{c.Depth}.rego", RegoGen.Nested(c.Shape, c.Depth))], ["x = data.p.x"]))
            .Check(Fixed(150, 6));

    /// <summary>deploy/policies and every module of the conformance cases.</summary>
    internal static IReadOnlyList<string> Corpus()
    {
        var root = RepoRoot();
        var modules = Directory.GetFiles(Path.Combine(root, "deploy", "policies"), "*.rego").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var cases = Path.GetFullPath(Path.Combine(root, "..", "shared", "opa-conformance"));
        foreach (var file in Directory.GetFiles(cases, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(file)));
            if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode top) continue;
            if (!top.Children.TryGetValue("cases", out var list) || list is not YamlSequenceNode seq) continue;
            foreach (var c in seq.Children.OfType<YamlMappingNode>())
                if (c.Children.TryGetValue("modules", out var ms) && ms is YamlSequenceNode moduleList)
                    modules.AddRange(moduleList.Children.OfType<YamlScalarNode>().Select(m => m.Value ?? ""));
        }
        return modules;
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Crane.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Crane.sln not found above " + AppContext.BaseDirectory);
    }
}
