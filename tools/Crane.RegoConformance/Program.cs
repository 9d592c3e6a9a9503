using Crane.RegoConformance;

// Usage: crane-rego-conformance <dir> [--skips <file>]
//        crane-rego-conformance --eval <file.rego> <query> [input.json]   (evaluate one query, like opa eval)
if (args.Length >= 3 && args[0] == "--eval")
{
    var compiled = Crane.Rego.RegoCompiler.Compile(args[1], File.ReadAllText(args[1]));
    if (!compiled.IsOk) { Console.Error.WriteLine(compiled.Error); return 1; }
    var input = args.Length > 3 ? System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(args[3])) : null;
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var result = compiled.Value!.Evaluate(args[2], input, null, new Crane.Rego.EvalOptions { MaxSteps = 100_000 });
    Console.Error.WriteLine($"{sw.Elapsed.TotalMilliseconds:F1} ms");
    if (!result.IsOk) { Console.Error.WriteLine(result.Error); return 1; }
    foreach (var row in result.Value!.Rows) Console.WriteLine(row.ToJson().ToJsonString());
    return 0;
}
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: crane-rego-conformance <dir> [--skips <file>]");
    return 2;
}
var dir = args[0];
string? skipsFile = null;
for (int i = 1; i < args.Length - 1; i++)
    if (args[i] == "--skips") skipsFile = args[i + 1];
if (!Directory.Exists(dir))
{
    Console.Error.WriteLine($"no such directory: {dir}");
    return 2;
}
var skips = ConformanceSkip.Load(skipsFile);
var summary = ConformanceRunner.Run(dir, skips, Console.Out);
Console.WriteLine($"{summary.Skipped} skipped (known gaps, listed in {skipsFile ?? "no skips file"})");
Console.WriteLine($"{summary.Passed} passed, {summary.Failed} failed");
return summary.Failed == 0 ? 0 : 1;
