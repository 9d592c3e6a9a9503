using System.Globalization;
using System.Text.Json;

namespace Crane.IntegrationTests.Cli;

/// <summary>get nodes, describe node, cordon/uncordon/drain and cluster through the built crane binary against the shared seed.</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class CliNodeTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;
    private readonly CraneCli _cli = CraneCli.For(fixture.Crane);

    [Fact]
    public async Task Get_nodes_shows_the_seed_node_in_a_table_and_as_json()
    {
        var table = await _cli.OkAsync("get", "nodes");

        Assert.Matches(@"^NAME\s+STATUS\s+CPU\s+MEM\s+REPLICAS\s+LABELS\n", table);
        var row = Assert.Single(table.Split('\n'), l => l.StartsWith(_crane.NodeName + " ", StringComparison.Ordinal));
        Assert.Matches(@"\s(Ready|Cordoned)\s+[\d.m]+/2\s+\S+/4Gi\s+\d+\s", row);

        var wide = await _cli.OkAsync("get", "nodes", "-o", "wide");
        Assert.Contains("ADDRESS", wide);
        Assert.Contains($"127.0.0.1:{_crane.AkkaPort.ToString(CultureInfo.InvariantCulture)}", wide);

        using (var json = JsonDocument.Parse(await _cli.OkAsync("get", "node", _crane.NodeName, "-o", "json")))
        {
            Assert.Equal(_crane.NodeName, json.RootElement.GetProperty("name").GetString());
            Assert.Equal(4L * 1024 * 1024 * 1024, json.RootElement.GetProperty("capacity").GetProperty("memory").GetInt64());
        }

        var missing = await _cli.RunAsync("get", "node", "no-such-node");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: node 'no-such-node' not found", missing.Stderr);
    }

    [Fact]
    public async Task Describe_node_shows_status_resources_and_the_replicas_on_it()
    {
        var name = Specs.UniqueName("cli-onnode");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var replica = (await Converge.AllReadyAsync(_crane, name, 1)).Replicas[0].Id;

            var text = await _cli.OkAsync("describe", "node", _crane.NodeName);

            Assert.Contains($"Name:", text);
            Assert.Contains(_crane.NodeName, text);
            Assert.Contains("Runtimes:", text);
            Assert.Contains(text.Split('\n'), l => l.Contains(name, StringComparison.Ordinal) && l.Contains(replica, StringComparison.Ordinal) &&
                                                 l.Contains("Running", StringComparison.Ordinal));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Cordon_and_uncordon_change_the_node_status()
    {
        try
        {
            Assert.Contains($"node/{_crane.NodeName} cordoned (status: Cordoned)", await _cli.OkAsync("cordon", _crane.NodeName));
            Assert.Equal("Cordoned", (await _crane.Api.NodesAsync()).Single(n => n.Name == _crane.NodeName).Status);
            Assert.Matches($@"(?m)^{_crane.NodeName}\s+Cordoned\s", await _cli.OkAsync("get", "nodes"));

            Assert.Contains($"node/{_crane.NodeName} uncordoned (status: Ready)", await _cli.OkAsync("uncordon", _crane.NodeName));
            Assert.Equal("Ready", (await _crane.Api.NodesAsync()).Single(n => n.Name == _crane.NodeName).Status);
        }
        finally
        {
            await _cli.RunAsync("uncordon", _crane.NodeName);
        }
    }

    [Fact]
    public async Task Cordon_uncordon_and_drain_of_an_unknown_node_exit_1()
    {
        foreach (var action in new[] { "cordon", "uncordon", "drain" })
        {
            var result = await _cli.RunAsync(action, "no-such-node");

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("error: node 'no-such-node' not found", result.Stderr);
        }
    }

    [Fact]
    public async Task Cluster_shows_the_member_its_roles_the_leader_and_the_singletons()
    {
        var address = $"akka.tcp://crane@127.0.0.1:{_crane.AkkaPort.ToString(CultureInfo.InvariantCulture)}";

        var text = await _cli.OkAsync("cluster");

        Assert.Contains($"Leader: {address}", text);
        var member = Assert.Single(text.Split('\n'), l => l.TrimStart().StartsWith(address, StringComparison.Ordinal) && l.Contains("Up", StringComparison.Ordinal));
        Assert.Contains("control,worker", member);
        Assert.Contains("yes", member);
        Assert.Contains($"scheduler:", text);
        Assert.Contains("Shards:", text);

        using var json = JsonDocument.Parse(await _cli.OkAsync("cluster", "-o", "json"));
        Assert.Equal(address, json.RootElement.GetProperty("leader").GetString());
        Assert.Contains(json.RootElement.GetProperty("members").EnumerateArray(), m => m.GetProperty("address").GetString() == address);
    }
}
