using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>
/// A control-only seed and one crane-node that speak Akka remoting over mutual TLS, with certificates that
/// scripts/akka-certs made (one CA, one .pfx per member); plus the certificates of an intruder's own CA.
/// </summary>
public sealed class AkkaTlsClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crane-akka-tls-").FullName;
    private CraneCluster? _cluster;

    public CraneCluster Cluster => _cluster ?? throw new InvalidOperationException("the TLS cluster did not start");

    /// <summary>From starting the seed to the node listed Ready, both over TLS.</summary>
    public TimeSpan StartToReady { get; private set; }

    /// <summary>Flags of the intruder: a certificate of its own CA; it trusts the cluster's CA too, so that only the seed's check stops it.</summary>
    public IReadOnlyList<string> IntruderArgs { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var certs = Path.Combine(_dir, "cluster");
        var intruder = Path.Combine(_dir, "intruder");
        await MakeCertificatesAsync(certs, "seed", "node-1");
        await MakeCertificatesAsync(intruder, "intruder");
        var bothCas = Path.Combine(intruder, "both-cas.crt");
        await File.WriteAllTextAsync(bothCas, await File.ReadAllTextAsync(Path.Combine(intruder, "ca.crt")) + await File.ReadAllTextAsync(Path.Combine(certs, "ca.crt")));
        IntruderArgs = Flags(intruder, "intruder", bothCas);

        var clock = Stopwatch.StartNew();
        _cluster = await CraneCluster.StartAsync(new CraneClusterOptions
        {
            NodeZones = ["a"],
            SeedArgs = Flags(certs, "seed", Path.Combine(certs, "ca.crt")),
            NodeArgs = Flags(certs, "node-1", Path.Combine(certs, "ca.crt")),
        });
        StartToReady = clock.Elapsed;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static string[] Flags(string dir, string name, string ca) =>
    [
        "--akka-tls-cert", Path.Combine(dir, name + ".pfx"), "--akka-tls-ca", ca,
        "--akka-tls-password", File.ReadAllText(Path.Combine(dir, "password")),
    ];

    private static async Task MakeCertificatesAsync(string dir, params string[] names)
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "akka-certs");
        var result = await ProcessRunner.RunAsync(script, [dir, .. names], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"scripts/akka-certs {dir} {string.Join(' ', names)} exited {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
    }
}

[Collection(MultiNodeCollection.Name)]
[Trait("Category", MultiNodeCollection.Category)]
public sealed class AkkaTlsTests(AkkaTlsClusterFixture fixture, ITestOutputHelper output) : IClassFixture<AkkaTlsClusterFixture>
{
    /// <summary>How long a node that must not join is watched.</summary>
    private static readonly TimeSpan Refused = TimeSpan.FromSeconds(15);

    private readonly ClusterTestLog _log = new(output);
    private readonly CraneCluster _cluster = fixture.Cluster;

    [Fact]
    public async Task A_node_with_a_certificate_of_the_CA_joins_over_TLS()
    {
        _log.Phase($"seed + node started with TLS; node Ready {fixture.StartToReady.TotalSeconds:0.0}s after the seed started");
        await _log.RunAsync(_cluster, async () =>
        {
            var node = _cluster.Nodes.Single(n => n.Zone == "a");
            Assert.Contains(await _cluster.Api.NodesAsync(), n => n.Name == node.Name && n.Status == "Ready");

            var members = await SeedAndNodeUpAsync();
            Assert.All(members, m => Assert.StartsWith("akka.ssl.tcp://crane@127.0.0.1:", m.Address, StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Nodes_without_TLS_or_with_a_certificate_of_another_CA_do_not_join_and_the_seed_stays_healthy()
    {
        var seed = _cluster.Seeds[0];
        var good = _cluster.Nodes.Single(n => n.Zone == "a");
        var plain = _cluster.StartNode("plain", []);
        var intruder = _cluster.StartNode("intruder", fixture.IntruderArgs);
        _log.Phase($"started {plain.Name} (plain TCP) and {intruder.Name} (certificate of another CA)");
        await _log.RunAsync(_cluster, async () =>
        {
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var (sawPlainRefused, sawCertificateRefused) = (false, false);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Refused)
            {
                var nodes = await _cluster.Api.NodesAsync();
                Assert.DoesNotContain(nodes, n => n.Name == plain.Name || n.Name == intruder.Name);
                Assert.Contains(nodes, n => n.Name == good.Name && n.Status == "Ready");
                using var ready = await probe.GetAsync(new Uri(_cluster.Api.BaseAddress, "/readyz"));
                Assert.True(ready.StatusCode == HttpStatusCode.OK, $"the seed's /readyz answered {(int)ready.StatusCode} at {clock.Elapsed.TotalSeconds:0.0}s");
                // Still trying to join: they were refused, they did not fail on their own.
                Assert.True(plain.IsRunning && intruder.IsRunning, $"a refused node exited: {plain.Describe()}; {intruder.Describe()}");

                var seedLog = seed.LogTail(400);
                sawPlainRefused |= seedLog.Contains("not an SSL/TLS record", StringComparison.Ordinal);
                sawCertificateRefused |= seedLog.Contains("Akka TLS: refused the certificate", StringComparison.Ordinal) &&
                                         seedLog.Contains("'CN=intruder'", StringComparison.Ordinal);
                await Task.Delay(500);
            }

            _log.Phase($"{Refused.TotalSeconds:0}s: neither joined, the seed stayed ready, {good.Name} stayed Ready");
            Assert.True(sawPlainRefused, $"the seed should have refused {plain.Name}'s plain TCP connection\n{seed.LogTail(80)}");
            Assert.True(sawCertificateRefused, $"the seed should have refused the certificate CN=intruder\n{seed.LogTail(80)}");
            await SeedAndNodeUpAsync();
        });
        await Task.WhenAll(plain.KillAsync(), intruder.KillAsync());
    }

    /// <summary>The cluster has exactly two members, the seed and the good node, both Up and reachable.</summary>
    private Task<IReadOnlyList<NodeFailoverTests.MemberView>> SeedAndNodeUpAsync() =>
        Wait.Until(
            async () => NodeFailoverTests.Members(await _cluster.Api.ClusterAsync()),
            ms => ms.Count == 2 && ms.All(m => m.Status == "Up" && m.Reachable),
            TimeSpan.FromSeconds(20),
            "the cluster should be the seed and the node, both Up and reachable",
            ms => string.Join("; ", ms));
}
