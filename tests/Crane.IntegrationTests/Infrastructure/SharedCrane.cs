namespace Crane.IntegrationTests;

/// <summary>
/// One crane-seed (docker runtime, its own Prometheus with 1 s scrape and autoscaler sync) for every test in
/// <see cref="SharedCraneCollection"/>; each test uses its own workload names.
/// </summary>
public sealed class SharedCraneFixture : IAsyncLifetime
{
    private CraneProcess? _crane;

    public CraneProcess Crane => _crane ?? throw new InvalidOperationException("the shared crane-seed did not start");

    public async Task InitializeAsync() => _crane = await CraneProcess.StartAsync(new CraneProcessOptions { Prometheus = true });

    public async Task DisposeAsync()
    {
        if (_crane is not null)
            await _crane.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedCraneCollection : ICollectionFixture<SharedCraneFixture>
{
    public const string Name = "shared crane-seed";
}

/// <summary>Tests that kill, restart or reconfigure crane-seed: each starts its own, and they run apart from the shared one's tests.</summary>
[CollectionDefinition(Name)]
public sealed class OwnCraneCollection
{
    public const string Name = "own crane-seed per test";
}
