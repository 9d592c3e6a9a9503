using System.Collections.Concurrent;

namespace Crane.Runtime.Tests;

public sealed class HollowRuntimeTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["crane.managed"] = "true", ["crane.workload"] = "w" };

    [Fact]
    public async Task Runs_instantly_lists_by_label_and_reports_events_on_remove()
    {
        await using var runtime = new HollowRuntime();
        var events = new ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = runtime.WatchAsync(Labels, events.Enqueue, stop.Token);

        var info = await runtime.RunAsync(Spec("crane-w-1", Labels), default);
        await runtime.RunAsync(Spec("crane-other-1", new Dictionary<string, string> { ["crane.workload"] = "other" }), default);

        Assert.Equal(ContainerStatus.Running, info.Status);
        Assert.Equal(info.Id, Assert.Single(await runtime.ListAsync(Labels, default)).Id);
        Assert.Equal(2, (await runtime.ListAsync(new Dictionary<string, string>(), default)).Count);
        Assert.Equal(0, (await runtime.ExecAsync(info.Id, ["true"], TimeSpan.FromSeconds(1), default)).ExitCode);

        await runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(1), default);
        await runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(1), default);

        Assert.Null(await runtime.InspectAsync(info.Id, default));
        Assert.Equal(["start", "kill", "die", "destroy"], events.Where(e => e.ContainerId == info.Id).Select(e => e.Action));
        Assert.DoesNotContain(events, e => e.Labels["crane.workload"] != "w");
        await stop.CancelAsync();
        await watch;
    }

    [Fact]
    public async Task Crash_makes_a_container_exit_with_a_die_event()
    {
        await using var runtime = new HollowRuntime();
        var events = new ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = runtime.WatchAsync(Labels, events.Enqueue, stop.Token);
        var info = await runtime.RunAsync(Spec("crane-w-1", Labels), default);

        Assert.True(runtime.Crash(info.Id, 137));
        Assert.False(runtime.Crash(info.Id));

        var crashed = await runtime.InspectAsync(info.Id, default);
        Assert.Equal(ContainerStatus.Exited, crashed?.Status);
        Assert.Equal(137, crashed?.ExitCode);
        Assert.Equal("137", Assert.Single(events, e => e.Action == "die").Labels["exitCode"]);
        await stop.CancelAsync();
        await watch;
    }

    [Fact]
    public async Task Run_replaces_a_container_with_the_same_name()
    {
        await using var runtime = new HollowRuntime();
        var first = await runtime.RunAsync(Spec("crane-w-1", Labels), default);
        var second = await runtime.RunAsync(Spec("crane-w-1", Labels), default);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(await runtime.InspectAsync(first.Id, default));
    }

    private static ContainerSpec Spec(string name, IReadOnlyDictionary<string, string> labels) =>
        new(name, "crane/demo:latest", null, null, new Dictionary<string, string>(), labels, 8080, 0.1, 1 << 20);
}
