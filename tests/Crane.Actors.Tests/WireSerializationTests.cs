using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using Crane.Actors.Hosting;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;

namespace Crane.Actors.Tests;

/// <summary>Every message that may cross the network survives Akka serialization with the bindings of hocon/crane.conf.</summary>
public sealed class WireSerializationTests() : TestKit(Config)
{
    // Crane's own file, except that ending the test's actor system must not end the test host.
    private static readonly Config Config = ConfigurationFactory.ParseString("akka.coordinated-shutdown.exit-clr = off")
        .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "crane.conf"))))
        .WithFallback(TestConfig.Cluster);

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Crane.sln not found above " + AppContext.BaseDirectory);
    }

    private static readonly WorkloadSpec Spec = SpecParser.Parse("""
        name: api
        image: crane/demo:latest
        replicas: 2
        port: 8080
        command: [sh, -c, "exec /app/serve"]
        env: {A: "1"}
        labels: {tier: web}
        constraints: [{key: zone, operator: In, values: [a, b]}]
        health:
          readiness: {type: http, path: /ready, periodSeconds: 0.5}
          liveness: {type: exec, command: [test, -f, /tmp/ok]}
        autoscaling: {min: 1, max: 4, metric: cpu, target: 70}
        """).Spec!;

    public static TheoryData<IWireMessage> Messages() =>
    [
        new ApplyWorkload(Spec),
        new ApplyAccepted("api", 2, true, true),
        new ScaleWorkload("api", 3),
        new GetWorkload("api"),
        new WorkloadNotFound("api"),
        new WorkloadAck("api", 1),
        new ReplicaStatusReport("api", "r1", "n1", 1, ReplicaState.BackOff, "c1", 32000, false, 2, "back-off 2s"),
        new ReplicaStopped("api", "r1", "n1"),
        new ToNode("n1", new EnsureReplica("api", "r1", 1, Spec)),
        new ToNode("n1", new StopReplica("api", "r1", "scaled down")),
        new ScheduleReplica("api", "r1", Spec),
        new ReplicaPlaced("api", "r1", "n1"),
        new ReplicaUnschedulable("api", "r1", "0/1 nodes available"),
        new SyncAllocations("api", [new Allocation("r1", "n1", 0.5, 1024)], ["r2"]),
        GetNodes.Instance,
        new NodeList([new NodeView("n1", "Ready", "a", new ResourceView(2, 3), new ResourceView(1, 1), new Dictionary<string, string>(), ["docker"], 1)]),
        new WorkloadEndpoints("api", true, [new ReplicaEndpoint("r1", "127.0.0.1", 32000)]),
        new CraneEvent(7, DateTimeOffset.UnixEpoch, CraneEvent.Normal, "Started", new ObjectRef("Replica", "r1"), "n1", "started", new Dictionary<string, string> { ["workload"] = "api" }),
        new WorkloadView("api", 1, Spec, 2, 1, [new ReplicaView("r1", 1, "n1", "c1", ReplicaState.Running, true, 32000, 0, null, null)])
        {
            Autoscaler = Status,
        },
        new AutoscaleTarget("api", Spec, 2, [new AutoscaleReplica("r1", true, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(3)), new AutoscaleReplica("r2", false, null, null)]),
        new AutoscaleTarget("api", null, 0, []),
        new AutoscaleWorkload("api", 2, 5, "cpu 143% of 70% target"),
        new AutoscalerStatusReport("api", Status),
        new WorkloadMetricsTargets("api", [new MetricsEndpoint("r1", "n1", "127.0.0.1", 32000)]),
        new MemberMetricsEndpoint("node-1", "worker", "127.0.0.1", 40123),
        new EventLogSnapshot(8, [
            new CraneEvent(7, DateTimeOffset.UnixEpoch, CraneEvent.Normal, "Started", new ObjectRef("Replica", "r1"), "n1", "started", new Dictionary<string, string> { ["workload"] = "api" }),
            new CraneEvent(8, DateTimeOffset.UnixEpoch.AddSeconds(1), CraneEvent.Warning, "FailedScheduling", new ObjectRef("Replica", "r2"), null, "0/1 nodes available"),
        ]),
    ];

    private static readonly AutoscalerView Status = new("cpu", 143.5, 70, 2, 5, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(15), "scaled",
        [new AutoscalerConditionView("AbleToScale", true, "ReadyForNewScale", "ok", DateTimeOffset.UnixEpoch)]);

    [Theory]
    [MemberData(nameof(Messages))]
    public void Round_trips_through_the_crane_serializer(IWireMessage message)
    {
        var serialization = Sys.Serialization;
        var serializer = serialization.FindSerializerFor(message);
        Assert.IsType<CraneJsonSerializer>(serializer);

        var bytes = serializer.ToBinary(message);
        var back = serialization.Deserialize(bytes, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));

        Assert.IsType(message.GetType(), back);
        // Records holding lists are not value-equal: the copy must serialize to the very same bytes.
        Assert.Equal(System.Text.Encoding.UTF8.GetString(bytes), System.Text.Encoding.UTF8.GetString(serializer.ToBinary(back)));
    }

    [Fact]
    public void An_actor_ref_resolves_to_the_same_actor()
    {
        var probe = CreateTestProbe();
        var message = new RegisterNode(new NodeDescriptor("n1", "a", 1, 1, new Dictionary<string, string>(), ["docker"]), probe.Ref);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var back = (RegisterNode)Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, message.GetType().FullName!);

        Assert.Equal(probe.Ref, back.NodeActor);
    }
}
