using Xunit.Sdk;

namespace Crane.Rego.Tests.Fuzz;

/// <summary>
/// Runs one fuzz case: compile, then evaluate what compiled. Passes when every step ends in a value or a
/// RegoError with a code; fails on any other exception, and on a case that runs past its time limit.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Far above what the budget below allows on a loaded 2-core machine; only a runaway reaches it.</summary>
    public static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(10);

    // Small so that runaway cases end in milliseconds; the deadline backs it up for steps that do much work.
    public static EvalOptions Options(bool strict = false) => new()
    {
        MaxSteps = 50_000,
        Timeout = TimeSpan.FromSeconds(2),
        StrictBuiltinErrors = strict,
    };

    private static readonly Value Input = CompiledPolicy.ParseValue("""
        {"workload": {"name": "web", "image": "nginx:1.2", "replicas": 3, "resources": {"cpu": 0.5, "memory": 1048576},
         "labels": {"app": "web"}, "strategy": "spread"}, "operation": "create", "user": "alice",
         "node": {"name": "n1", "labels": {"zone": "a"}, "replicas": 2}, "a": [1, 2, "x"], "s": "%v"}
        """).Value!;

    /// <summary>Compiles the modules and, when they compile, evaluates each query against a sample input.</summary>
    public static void CompileAndEvaluate(IReadOnlyList<(string File, string Source)> modules, IReadOnlyList<string> queries, bool strict = false) =>
        Run(Describe(modules, queries), () =>
        {
            var compiled = RegoCompiler.Compile(modules);
            if (!compiled.IsOk)
            {
                MustHaveCode(compiled.Error!);
                return;
            }
            foreach (var query in queries)
            {
                var result = compiled.Value!.Evaluate(query, Input, null, Options(strict));
                if (!result.IsOk) MustHaveCode(result.Error!);
                else _ = result.Value!.Rows.Select(r => r.ToJson().ToJsonString()).ToList();
            }
        });

    /// <summary>Runs the action on its own thread with a 1 MiB stack (smaller than the runtime's) and the case limit.</summary>
    public static void Run(string what, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { failure = e; }
        }, maxStackSize: 1024 * 1024) { IsBackground = true, Name = "fuzz case" };
        thread.Start();
        if (!thread.Join(CaseLimit))
            throw new XunitException($"hang: the case did not finish within {CaseLimit}:\n{what}");
        if (failure is XunitException)
            throw failure;
        if (failure is not null)
            throw new XunitException($"crash: {failure.GetType().Name}: {failure.Message}\n{what}\n{failure.StackTrace}");
    }

    private static void MustHaveCode(RegoError error)
    {
        if (string.IsNullOrEmpty(error.Code) || string.IsNullOrEmpty(error.Message))
            throw new XunitException($"error without a code or message: {error}");
    }

    private static string Describe(IReadOnlyList<(string File, string Source)> modules, IReadOnlyList<string> queries)
    {
        static string Cut(string s) => s.Length <= 2000 ? s : s[..2000] + $"... ({s.Length} characters)";
        return string.Join("\n", modules.Select(m => $"--- {m.File}\n{Cut(m.Source)}")) + "\n--- queries\n" + string.Join("\n", queries.Select(Cut));
    }
}
