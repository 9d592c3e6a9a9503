using Akka.Configuration;

namespace Crane.Actors.Tests;

internal static class TestConfig
{
    /// <summary>A single cluster-provider system (the event publisher needs DistributedPubSub) with in-memory persistence.</summary>
    public static readonly Config Cluster = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.port = 0
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.local"
        akka.persistence.snapshot-store.local.dir = "obj/test-snapshots"
        akka.loglevel = WARNING
        """);
}
