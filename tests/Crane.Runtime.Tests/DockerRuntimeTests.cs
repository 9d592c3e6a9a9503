using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.Runtime.Tests;

[Collection(DockerCollection.Name)]
public sealed class DockerRuntimeTests(DockerFixture fixture, ITestOutputHelper output) : DockerTestBase(fixture)
{
    [Fact]
    public async Task Run_serves_the_demo_app_on_a_published_loopback_port()
    {
        var clock = Stopwatch.StartNew();
        var info = await Runtime.RunAsync(DemoSpec("web", env: new Dictionary<string, string> { ["CRANE_REPLICA"] = "web-7" }), default);

        Assert.Equal(ContainerStatus.Running, info.Status);
        Assert.NotNull(info.HostPort);
        Assert.NotNull(info.StartedAt);
        Assert.Equal($"crane-test-{TestId}-web", info.Name);
        Assert.Equal(TestId, info.Labels["crane.test"]);

        using var response = await WaitForHttpAsync(info.HostPort.Value, "/");
        output.WriteLine($"RunAsync to first 200 on /: {clock.ElapsedMilliseconds} ms");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(info.Id[..12], body);
        Assert.Contains("web-7", body);
    }

    [Fact]
    public async Task Run_applies_limits_pids_logs_network_init_and_loopback_binding()
    {
        var info = await Runtime.RunAsync(DemoSpec("limits", cpu: 0.3, memory: 64L * 1024 * 1024), default);

        var (exitCode, json) = await Cli.RunAsync("docker", ["inspect", "--format", "{{json .HostConfig}}", info.Id], Deadline);
        Assert.True(exitCode == 0, json);
        using var hostConfig = JsonDocument.Parse(json);
        var root = hostConfig.RootElement;
        Assert.Equal(300_000_000, root.GetProperty("NanoCpus").GetInt64());
        Assert.Equal(64L * 1024 * 1024, root.GetProperty("Memory").GetInt64());
        Assert.True(root.GetProperty("Init").GetBoolean());
        Assert.False(root.GetProperty("Privileged").GetBoolean());
        Assert.Equal("crane", root.GetProperty("NetworkMode").GetString());
        Assert.Equal("no", root.GetProperty("RestartPolicy").GetProperty("Name").GetString());
        Assert.Equal(256, root.GetProperty("PidsLimit").GetInt64());
        Assert.Equal("json-file", root.GetProperty("LogConfig").GetProperty("Type").GetString());
        Assert.Equal("10m", root.GetProperty("LogConfig").GetProperty("Config").GetProperty("max-size").GetString());
        Assert.Equal("3", root.GetProperty("LogConfig").GetProperty("Config").GetProperty("max-file").GetString());
        var binding = root.GetProperty("PortBindings").GetProperty("8080/tcp")[0];
        Assert.Equal("127.0.0.1", binding.GetProperty("HostIp").GetString());
    }

    [Fact]
    public async Task Run_replaces_a_leftover_container_with_the_same_name()
    {
        var first = await Runtime.RunAsync(DemoSpec("same"), default);
        var second = await Runtime.RunAsync(DemoSpec("same"), default);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(await Runtime.InspectAsync(first.Id, default));
        Assert.Equal(ContainerStatus.Running, (await Runtime.InspectAsync(second.Id, default))?.Status);
    }

    [Fact]
    public async Task Args_replace_the_image_cmd_and_the_exit_code_is_reported()
    {
        var info = await Runtime.RunAsync(DemoSpec("exit", args: ["/bin/sh", "-c", "exit 7"]), default);

        var exited = await Eventually.WaitAsync(
            async () => await Runtime.InspectAsync(info.Id, default) is { Status: ContainerStatus.Exited } i ? i : null,
            Deadline, "the container to exit");
        Assert.Equal(7, exited.ExitCode);
    }

    [Fact]
    public async Task Command_replaces_the_image_entrypoint()
    {
        var info = await Runtime.RunAsync(DemoSpec("entry", command: ["/bin/sh", "-c", "exit 5"]), default);

        var exited = await Eventually.WaitAsync(
            async () => await Runtime.InspectAsync(info.Id, default) is { Status: ContainerStatus.Exited } i ? i : null,
            Deadline, "the container to exit");
        Assert.Equal(5, exited.ExitCode);
    }

    [Fact]
    public async Task List_returns_containers_carrying_every_label_including_stopped_ones()
    {
        var a = await Runtime.RunAsync(DemoSpec("a", labels: new Dictionary<string, string> { ["role"] = "a" }), default);
        var b = await Runtime.RunAsync(DemoSpec("b", labels: new Dictionary<string, string> { ["role"] = "b" }), default);
        var kill = await Cli.RunAsync("docker", ["kill", b.Id], Deadline);
        Assert.True(kill.ExitCode == 0, kill.Output);

        var all = await Runtime.ListAsync(TestLabels, default);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), all.Select(c => c.Id).Order());
        var onlyA = await Runtime.ListAsync(TestLabels.Append(new("role", "a")).ToDictionary(), default);
        Assert.Equal(a.Id, Assert.Single(onlyA).Id);

        var stopped = await Eventually.WaitAsync(
            async () => (await Runtime.ListAsync(TestLabels, default)).FirstOrDefault(c => c.Id == b.Id && c.Status == ContainerStatus.Exited),
            Deadline, "the killed container to be listed as exited");
        Assert.Equal(137, stopped.ExitCode);
        Assert.Empty(await Runtime.ListAsync(new Dictionary<string, string> { ["crane.test"] = Guid.NewGuid().ToString("N") }, default));
    }

    [Fact]
    public async Task Remove_is_idempotent_and_inspect_of_a_removed_container_is_null()
    {
        var info = await Runtime.RunAsync(DemoSpec("gone"), default);

        var clock = Stopwatch.StartNew();
        await Runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(10), default);
        output.WriteLine($"stop + remove took {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"SIGTERM should stop the demo app at once, took {clock.Elapsed}");

        Assert.Null(await Runtime.InspectAsync(info.Id, default));
        await Runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(1), default);
        await Runtime.RemoveAsync("crane-test-never-existed", TimeSpan.FromSeconds(1), default);
        Assert.Empty(await Runtime.ListAsync(TestLabels, default));
    }

    [Fact]
    public async Task Run_with_a_missing_image_throws_ImageUnavailableException_without_pulling()
    {
        var ex = await Assert.ThrowsAsync<ImageUnavailableException>(
            () => Runtime.RunAsync(DemoSpec("noimage", image: "crane/does-not-exist:1"), default));

        output.WriteLine(ex.Message);
        Assert.Equal("crane/does-not-exist:1", ex.Image);
        Assert.StartsWith("image crane/does-not-exist:1 is not present locally and pulling is off", ex.Message);

        // Replicas starting together each get the exception.
        var together = Enumerable.Range(0, 3).Select(i => Runtime.RunAsync(DemoSpec($"noimage-{i}", image: "crane/does-not-exist:1"), default));
        foreach (var run in together.ToList())
        {
            Assert.Equal("crane/does-not-exist:1", (await Assert.ThrowsAsync<ImageUnavailableException>(() => run)).Image);
        }

        Assert.Empty(await Runtime.ListAsync(TestLabels, default));
    }

    [Fact]
    public async Task Watch_sees_die_after_docker_kill()
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = Runtime.WatchAsync(TestLabels, events.Enqueue, stop.Token);
        var info = await Runtime.RunAsync(DemoSpec("die"), default);
        // The stream is open once our own start shows up; the kill below must not race the subscription.
        await Eventually.WaitAsync(
            () => Task.FromResult(events.FirstOrDefault(e => e.ContainerId == info.Id && e.Action == "start")),
            Deadline, "the start event");

        var kill = await Cli.RunAsync("docker", ["kill", info.Id], Deadline);
        Assert.True(kill.ExitCode == 0, kill.Output);

        var die = await Eventually.WaitAsync(
            () => Task.FromResult(events.FirstOrDefault(e => e.ContainerId == info.Id && e.Action == "die")),
            Deadline, "the die event");
        Assert.Equal(TestId, die.Labels["crane.test"]);
        Assert.Equal("137", die.Labels["exitCode"]);
        Assert.DoesNotContain(events, e => e.Labels.GetValueOrDefault("crane.test") != TestId);

        await stop.CancelAsync();
        await watch.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Watch_resubscribes_after_the_stream_breaks_and_replays_what_it_missed()
    {
        await using var relay = new UnixSocketRelay(Runtime.Endpoint.LocalPath);
        await using var relayed = new DockerRuntime(new Uri($"unix://{relay.Path}"));
        var events = new System.Collections.Concurrent.ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = relayed.WatchAsync(TestLabels, events.Enqueue, stop.Token);
        var info = await Runtime.RunAsync(DemoSpec("resubscribe"), default);
        await Eventually.WaitAsync(
            () => Task.FromResult(events.FirstOrDefault(e => e.ContainerId == info.Id && e.Action == "start")),
            Deadline, "the start event");

        relay.DropConnections();
        // Killed while no stream is open: only the resubscription's replay can report it.
        var kill = await Cli.RunAsync("docker", ["kill", info.Id], Deadline);
        Assert.True(kill.ExitCode == 0, kill.Output);

        await Eventually.WaitAsync(
            () => Task.FromResult(events.FirstOrDefault(e => e.ContainerId == info.Id && e.Action == "die")),
            Deadline, "the die event after resubscribing");
        await stop.CancelAsync();
        await watch.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Exec_returns_the_exit_code_and_combined_output()
    {
        var info = await Runtime.RunAsync(DemoSpec("exec"), default);

        var result = await Runtime.ExecAsync(info.Id, ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"], Deadline, default);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("to-stdout", result.Output);
        Assert.Contains("to-stderr", result.Output);

        var probe = await Runtime.ExecAsync(info.Id, ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/health"], Deadline, default);
        Assert.Equal(0, probe.ExitCode);
        Assert.Equal("ok", probe.Output.Trim());

        var clock = Stopwatch.StartNew();
        var slow = await Runtime.ExecAsync(info.Id, ["sleep", "30"], TimeSpan.FromMilliseconds(500), default);
        Assert.Equal(ExecResult.TimedOutExitCode, slow.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"timeout took {clock.Elapsed}");
    }

    [Fact]
    public async Task Stats_cpu_seconds_rise_while_the_demo_app_burns()
    {
        var info = await Runtime.RunAsync(DemoSpec("cpu"), default);
        (await WaitForHttpAsync(info.HostPort!.Value, "/")).Dispose();
        var calls = new List<double>();
        var before = await TimedStatsAsync(info.Id, calls);
        Assert.NotNull(before);

        (await WaitForHttpAsync(info.HostPort.Value, "/burn?seconds=3")).Dispose();
        var burnt = await Eventually.WaitAsync(
            async () => await TimedStatsAsync(info.Id, calls) is { } s && s.CpuSeconds >= before.CpuSeconds + 1 ? s : null,
            Deadline, "CpuSeconds to rise by 1 s");

        output.WriteLine($"cpu {before.CpuSeconds:0.###} s -> {burnt.CpuSeconds:0.###} s between {before.At:O} and {burnt.At:O}");
        output.WriteLine($"{calls.Count} one-shot stats calls: mean {calls.Average():0} ms, min {calls.Min():0} ms, max {calls.Max():0} ms");
        Assert.True(burnt.At > before.At, $"{burnt.At:O} is not after {before.At:O}");
        Assert.True(burnt.MemoryWorkingSetBytes > 0);
    }

    [Fact]
    public async Task Stats_working_set_follows_alloc_and_free_in_the_demo_app()
    {
        const long MiB = 1024 * 1024;
        var info = await Runtime.RunAsync(DemoSpec("memory"), default);
        var port = info.HostPort!.Value;
        (await WaitForHttpAsync(port, "/")).Dispose();
        var baseline = await Runtime.StatsAsync(info.Id, default);
        Assert.NotNull(baseline);

        (await WaitForHttpAsync(port, "/alloc?mb=20")).Dispose();
        var held = await Eventually.WaitAsync(
            async () => await Runtime.StatsAsync(info.Id, default) is { } s && s.MemoryWorkingSetBytes >= baseline.MemoryWorkingSetBytes + 15 * MiB ? s : null,
            Deadline, "the working set to grow by 15 MB after /alloc?mb=20");
        (await WaitForHttpAsync(port, "/free")).Dispose();
        var freed = await Eventually.WaitAsync(
            async () => await Runtime.StatsAsync(info.Id, default) is { } s && s.MemoryWorkingSetBytes <= held.MemoryWorkingSetBytes - 15 * MiB ? s : null,
            Deadline, "the working set to shrink by 15 MB after /free");

        output.WriteLine($"working set: {baseline.MemoryWorkingSetBytes / (double)MiB:0.00} MB, " +
                         $"after /alloc?mb=20 {held.MemoryWorkingSetBytes / (double)MiB:0.00} MB, after /free {freed.MemoryWorkingSetBytes / (double)MiB:0.00} MB");
    }

    [Fact]
    public async Task Stats_of_a_stopped_removed_or_unknown_container_are_null()
    {
        var info = await Runtime.RunAsync(DemoSpec("stats-gone"), default);
        Assert.NotNull(await Runtime.StatsAsync(info.Id, default));

        var kill = await Cli.RunAsync("docker", ["kill", info.Id], Deadline);
        Assert.True(kill.ExitCode == 0, kill.Output);
        await Eventually.WaitAsync(
            async () => await Runtime.InspectAsync(info.Id, default) is { Status: ContainerStatus.Exited } i ? i : null,
            Deadline, "the container to exit");
        Assert.Null(await Runtime.StatsAsync(info.Id, default));

        await Runtime.RemoveAsync(info.Id, TimeSpan.Zero, default);
        Assert.Null(await Runtime.StatsAsync(info.Id, default));
        Assert.Null(await Runtime.StatsAsync("crane-test-never-existed", default));
    }

    [Fact]
    public async Task Prepare_is_idempotent_and_keeps_one_crane_network()
    {
        await Runtime.PrepareAsync(default);
        await Runtime.PrepareAsync(default);

        var (exitCode, names) = await Cli.RunAsync("docker", ["network", "ls", "--filter", "name=crane", "--format", "{{.Name}}"], Deadline);
        Assert.True(exitCode == 0, names);
        Assert.Single(names.Split('\n', StringSplitOptions.RemoveEmptyEntries), n => n == "crane");
    }

    private async Task<ContainerStats?> TimedStatsAsync(string id, List<double> millis)
    {
        var clock = Stopwatch.StartNew();
        var stats = await Runtime.StatsAsync(id, default);
        millis.Add(clock.Elapsed.TotalMilliseconds);
        return stats;
    }
}
