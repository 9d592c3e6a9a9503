using Crane.Actors.Hosting;

namespace Crane.Actors.Tests;

public sealed class CraneOptionsTests
{
    private static readonly Dictionary<string, string?> NoEnv = new();

    [Fact]
    public void Flags_override_environment_and_defaults()
    {
        var env = new Dictionary<string, string?> { ["CRANE_HTTP_PORT"] = "9000", ["CRANE_NODE_NAME"] = "from-env" };
        var o = CraneOptions.Parse(["--http-port", "0", "--all-in-one", "--labels", "zone=a,disk=ssd", "--capacity-memory", "2Gi"], 4053, env);

        Assert.Equal(0, o.HttpPort);
        Assert.Equal("from-env", o.NodeName);
        Assert.True(o.AllInOne);
        Assert.Equal("ssd", o.Labels["disk"]);
        Assert.Equal(2L * 1024 * 1024 * 1024, o.CapacityMemory);
        Assert.Equal(4053, o.AkkaPort);
    }

    [Fact]
    public void Seed_nodes_accept_host_port_and_full_addresses()
    {
        var o = CraneOptions.Parse(["--seed-nodes", "127.0.0.1:4053, akka.tcp://crane@127.0.0.1:4054"], 0, NoEnv);

        Assert.Equal(["akka.tcp://crane@127.0.0.1:4053", "akka.tcp://crane@127.0.0.1:4054"], o.SeedAddresses());
    }

    [Theory]
    [InlineData("--nope", "unknown flag --nope")]
    [InlineData("--http-port=abc", "--http-port: 'abc' is not a non-negative integer")]
    [InlineData("--runtime=podman", "--runtime: 'podman' is not one of docker, process, hollow")]
    [InlineData("--labels=zone", "--labels: 'zone' is not key=value")]
    [InlineData("--capacity-memory=lots", "--capacity-memory: 'lots' is not a memory quantity (e.g. 2Gi)")]
    public void Bad_flags_give_clear_messages(string arg, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => CraneOptions.Parse([arg], 0, NoEnv));
        Assert.StartsWith(message, ex.Message);
    }
}
