using System.Diagnostics;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>
/// Tests that start a cluster of real seed and node processes (~150 MB each): one test at a time, each with its own
/// small cluster. Filter with <c>Category=MultiNode</c>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node cluster";
    public const string Category = "MultiNode";
}

/// <summary>Phase timings for the test output, and every member's log tail when the test fails.</summary>
internal sealed class ClusterTestLog(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0}s {what}");

    public async Task RunAsync(CraneCluster cluster, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine(cluster.LogTails(80));
            throw;
        }
    }
}
