using System.Net;

namespace Crane.IntegrationTests;

[Collection(OwnCraneCollection.Name)]
public sealed class ProcessRuntimeTests
{
    [Fact]
    public async Task The_seed_refuses_the_process_runtime_unless_it_is_allowed()
    {
        var refused = await ProcessRunner.RunAsync(RepoPaths.SeedBinary, ["--all-in-one", "--runtime", "process", "--http-port", "0"], TimeSpan.FromSeconds(30));

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("crane-seed: --runtime process runs every spec's command on this host", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("add --allow-process-runtime", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessRuntime_RunsAReplicaAsAHostProcessOnItsPort_AndDeleteEndsIt()
    {
        await using var crane = await CraneProcess.StartAsync(new CraneProcessOptions { Runtime = "process" });
        var name = Specs.UniqueName("proc");
        var www = Path.Combine(crane.DataDir, "www");
        Directory.CreateDirectory(www);

        // The process runtime hands the replica a free loopback port in $PORT and reports it as the host port.
        var spec = $"""
            name: {name}
            image: host-busybox
            runtime: process
            replicas: 1
            port: 8080
            command: ["sh", "-c", "echo crane-process-ok > $WWW/index.html && exec busybox httpd -f -p 127.0.0.1:$PORT -h $WWW"]
            env: {"{"}WWW: "{www}"{"}"}
            health:
              readiness: {"{"}type: http, path: /, periodSeconds: 1{"}"}
            """;
        await crane.Api.ApplyOkAsync(spec);
        var workload = await Converge.AllReadyAsync(crane, name, 1);
        var replica = workload.Replicas[0];
        Assert.Equal(crane.NodeName, replica.Node);

        var (status, body) = await Loopback.GetAsync(replica.HostPort!.Value);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("crane-process-ok", body, StringComparison.Ordinal);

        var pids = HostProcesses.WithEnvironment("CRANE_REPLICA", replica.Id).Where(HostProcesses.IsAlive).ToList();
        Assert.NotEmpty(pids);

        var deleted = await crane.Api.DeleteAsync(name);
        Assert.True(deleted.Status == HttpStatusCode.OK, $"delete: {deleted}");
        await Wait.Until(
            () => !pids.Any(HostProcesses.IsAlive),
            Wait.Converge,
            $"the replica's processes ({string.Join(", ", pids)}) should end after the workload is deleted");
        Assert.True(await Loopback.RefusesAsync(replica.HostPort.Value), $"port {replica.HostPort} still accepts connections after delete");
        Assert.Null(await crane.Api.GetWorkloadAsync(name));
    }
}
