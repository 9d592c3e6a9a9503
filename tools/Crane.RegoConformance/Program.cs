using Crane.RegoConformance;

// Usage: crane-rego-conformance <dir> [--skips <file>]
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
