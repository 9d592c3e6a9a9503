using System.Globalization;

namespace Crane.IntegrationTests;

public sealed record CraneClusterOptions
{
    /// <summary>Seeds (role control); more than one are all given every seed's address in <c>--seed-nodes</c>.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>One crane-node per entry, labelled <c>zone=&lt;entry&gt;</c>.</summary>
    public IReadOnlyList<string> NodeZones { get; init; } = ["a", "b", "c"];

    /// <summary>Seeds also run a worker (<c>--all-in-one</c>, zone <c>s&lt;n&gt;</c>).</summary>
    public bool AllInOneSeeds { get; init; }

    /// <summary>When set, every seed uses <c>--persistence postgres --connection-string</c> this; else SQLite in its data dir.</summary>
    public string? PostgresConnectionString { get; init; }

    public string CapacityCpu { get; init; } = "2";

    public string CapacityMemory { get; init; } = "2Gi";

    /// <summary>More flags for every seed (e.g. its TLS certificate).</summary>
    public IReadOnlyList<string> SeedArgs { get; init; } = [];

    /// <summary>More flags for every crane-node that <see cref="CraneCluster.StartAsync"/> and <see cref="CraneCluster.AddNodeAsync"/> start.</summary>
    public IReadOnlyList<string> NodeArgs { get; init; } = [];
}

/// <summary>
/// A real multi-process Crane: seeds (control only unless all-in-one) and crane-node workers, each with its own
/// data dir under one temp dir, its own Akka port and a name unique to this cluster (containers are labelled
/// with the node name, and peers remove a lost node's containers by that label on the shared engine). Every
/// member labels its containers <c>crane.test=&lt;id&gt;</c>. Disposing ends every process it started (by pid,
/// SIGCONT first for paused ones), the NGINX its seeds started, and removes only containers with its own label.
/// </summary>
public sealed class CraneCluster : IAsyncDisposable
{
    private static readonly TimeSpan NodesReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly CraneClusterOptions _options;
    private readonly List<CraneMember> _seeds = [];
    private readonly List<CraneMember> _nodes = [];
    private readonly string _suffix;

    private CraneCluster(CraneClusterOptions options)
    {
        _options = options;
        TestId = $"mn-{Guid.NewGuid():N}"[..15];
        _suffix = TestId[3..11];
        RootDir = Path.Combine(Path.GetTempPath(), $"crane-{TestId}");
        Directory.CreateDirectory(RootDir);
    }

    /// <summary>The value of this cluster's <c>crane.test</c> container label.</summary>
    public string TestId { get; }

    /// <summary>Label selector (<c>key=value</c>) for every container this cluster made.</summary>
    public string ContainerLabel => $"crane.test={TestId}";

    public string RootDir { get; }

    public IReadOnlyList<CraneMember> Seeds => _seeds;

    /// <summary>The crane-node processes (all-in-one seeds are not among them).</summary>
    public IReadOnlyList<CraneMember> Nodes => _nodes;

    /// <summary>Every member that runs containers.</summary>
    public IEnumerable<CraneMember> Workers => _seeds.Where(s => s.IsWorker).Concat(_nodes);

    public IEnumerable<CraneMember> Members => _seeds.Concat(_nodes);

    /// <summary>The API of the first seed that runs and is not paused.</summary>
    public CraneClient Api => _seeds.FirstOrDefault(s => s.IsRunning && !s.IsPaused)?.Api
                              ?? throw new InvalidOperationException($"no seed is serving ({Describe()})");

    /// <summary>Akka address of a seed (seeds have fixed ports).</summary>
    public static string AkkaAddress(CraneMember seed) => $"akka.tcp://crane@127.0.0.1:{seed.AkkaPort}";

    public static async Task<CraneCluster> StartAsync(CraneClusterOptions? options = null)
    {
        var cluster = new CraneCluster(options ?? new CraneClusterOptions());
        try
        {
            await DockerCli.EnsureEngineAsync();
            await DockerCli.EnsureDemoImageAsync();
            cluster.CreateSeeds();
            // The first seed starts first so that it is the oldest member (where the singletons run).
            var first = cluster._seeds[0];
            first.Start();
            await first.WaitServingAsync();
            foreach (var seed in cluster._seeds.Skip(1))
                seed.Start();
            await Task.WhenAll(cluster._seeds.Skip(1).Select(s => s.WaitServingAsync()));
            foreach (var zone in cluster._options.NodeZones)
                cluster.CreateNode(zone).Start();
            await cluster.WaitWorkersReadyAsync(cluster.Workers.Select(w => w.Name));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more crane-node (zone <paramref name="zone"/>) and waits until it is Ready.</summary>
    public async Task<CraneMember> AddNodeAsync(string zone)
    {
        var node = CreateNode(zone);
        node.Start();
        await WaitWorkersReadyAsync([node.Name]);
        return node;
    }

    /// <summary>Starts one more crane-node with <paramref name="args"/> instead of <see cref="CraneClusterOptions.NodeArgs"/>, without waiting for it.</summary>
    public CraneMember StartNode(string zone, IReadOnlyList<string> args)
    {
        var node = CreateNode(zone, args);
        node.Start();
        return node;
    }

    /// <summary>Starts a member again with the same flags and data dir (SIGKILL first if it still runs) and waits until it serves / is Ready.</summary>
    public async Task RestartAsync(CraneMember member)
    {
        if (member.IsRunning)
            await member.KillAsync();
        member.Start();
        await member.WaitServingAsync();
        if (member.IsWorker)
            await WaitWorkersReadyAsync([member.Name]);
    }

    /// <summary>Until every named worker shows status Ready in <c>GET /api/v1/nodes</c>.</summary>
    public Task WaitWorkersReadyAsync(IEnumerable<string> names, CraneClient? via = null)
    {
        var wanted = names.ToList();
        return Wait.Until(
            () => (via ?? Api).NodesAsync(),
            nodes => wanted.All(n => nodes.Any(v => v.Name == n && v.Status == "Ready")),
            NodesReadyTimeout,
            $"nodes {string.Join(", ", wanted)} should be Ready ({Describe()})\n{LogTails(30)}",
            nodes => string.Join("; ", nodes.Select(n => n.Describe())));
    }

    public CraneMember NodeInZone(string zone) => _nodes.Single(n => n.Zone == zone);

    public string Describe() => string.Join("; ", Members.Select(m => m.Describe()));

    /// <summary>The last lines of every member's output, for failure messages.</summary>
    public string LogTails(int lines = 40) =>
        string.Join('\n', Members.Select(m => $"===== {m.Describe()} =====\n{m.LogTail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Members.Select(m => m.EndAsync()));
        try
        {
            await DockerCli.RemoveByLabelAsync(ContainerLabel, settle: TimeSpan.FromSeconds(2));
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"CraneCluster {TestId}: could not remove containers labelled {ContainerLabel}: {ex.Message}");
        }

        try
        {
            Directory.Delete(RootDir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void CreateSeeds()
    {
        var ports = Enumerable.Range(0, _options.Seeds).Select(_ => Loopback.FreeTcpPort()).ToList();
        var seedList = string.Join(',', ports.Select(p => $"127.0.0.1:{p}"));
        for (var i = 0; i < _options.Seeds; i++)
        {
            var name = $"seed{i + 1}-{_suffix}";
            var dataDir = Path.Combine(RootDir, name);
            var args = new List<string>
            {
                "--http-port", "0", "--lb-port", "0", "--akka-port", ports[i].ToString(CultureInfo.InvariantCulture),
                "--data-dir", dataDir, "--container-labels", ContainerLabel, "--prometheus-port", "0", "--alertmanager-port", "0",
            };
            if (_options.Seeds > 1)
                args.AddRange(["--seed-nodes", seedList]);
            var zone = "";
            if (_options.AllInOneSeeds)
            {
                zone = $"s{i + 1}";
                args.AddRange(["--all-in-one", "--node-name", name, "--capacity-cpu", _options.CapacityCpu, "--capacity-memory", _options.CapacityMemory,
                    "--labels", $"zone={zone}"]);
            }

            if (_options.PostgresConnectionString is { } connection)
                args.AddRange(["--persistence", "postgres", "--connection-string", connection]);
            args.AddRange(_options.SeedArgs);
            _seeds.Add(new CraneMember(name, isSeed: true, isWorker: _options.AllInOneSeeds, zone, SeedBinary, dataDir, ports[i], args));
        }
    }

    private CraneMember CreateNode(string zone, IReadOnlyList<string>? args = null)
    {
        var name = $"n{_nodes.Count + 1}-{_suffix}";
        var dataDir = Path.Combine(RootDir, name);
        var seedList = string.Join(',', _seeds.Select(s => $"127.0.0.1:{s.AkkaPort}"));
        var node = new CraneMember(name, isSeed: false, isWorker: true, zone, NodeBinary, dataDir, akkaPort: 0,
        [
            "--seed-nodes", seedList, "--node-name", name, "--akka-port", "0", "--data-dir", dataDir,
            "--capacity-cpu", _options.CapacityCpu, "--capacity-memory", _options.CapacityMemory,
            "--labels", $"zone={zone}", "--container-labels", ContainerLabel,
            .. args ?? _options.NodeArgs,
        ]);
        _nodes.Add(node);
        return node;
    }

    private static string SeedBinary => RepoPaths.SeedBinary;

    private static string NodeBinary
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("CRANE_NODE_BIN");
            if (!string.IsNullOrWhiteSpace(fromEnv))
            {
                return File.Exists(fromEnv)
                    ? Path.GetFullPath(fromEnv)
                    : throw new InvalidOperationException($"CRANE_NODE_BIN={fromEnv} does not exist; build it with `dotnet build src/Crane.Node -c Release`");
            }

            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(RepoPaths.Root, "src", "Crane.Node", "bin", c, "net10.0", "crane-node"))
                .ToList();
            return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
                $"crane-node not built (looked at {string.Join(", ", candidates)}); run `dotnet build src/Crane.Node -c Release` first");
        }
    }

}
