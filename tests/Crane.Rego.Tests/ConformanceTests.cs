using Crane.RegoConformance;

namespace Crane.Rego.Tests;

public sealed class ConformanceTests
{
    // The agreed floor: what the engine reaches on OPA's cases, rounded down a little (docs/policy.md).
    private const double PassRateFloor = 0.99;

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Crane.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Crane.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void OpaConformanceCasesPassAboveTheFloor()
    {
        var root = RepoRoot();
        var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "opa-conformance"));
        Assert.True(Directory.Exists(dir), $"conformance cases not found at {dir}");
        var skips = ConformanceSkip.Load(Path.Combine(root, "src", "Crane.Rego", "conformance-skips.txt"));
        var log = new StringWriter();
        var summary = ConformanceRunner.Run(dir, skips, log);
        double rate = (double)summary.Passed / summary.Total;
        Assert.True(rate >= PassRateFloor,
            $"{summary.Passed} passed, {summary.Failed} failed, {summary.Skipped} skipped: pass rate {rate:P1} is below {PassRateFloor:P0}\n{log}");
    }
}
