using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Crane.Runtime.Tests;

public sealed class ProcessRuntimeTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };

    private readonly string _root = Directory.CreateTempSubdirectory("crane-process-test-").FullName;
    private readonly string _testId = Guid.NewGuid().ToString("N")[..12];
    private ProcessRuntime _runtime = null!;

    private string StateDir => Path.Combine(_root, "state");

    private IReadOnlyDictionary<string, string> TestLabels => new Dictionary<string, string>
    {
        ["crane.managed"] = "true",
        ["crane.test"] = _testId,
    };

    public Task InitializeAsync()
    {
        _runtime = new ProcessRuntime(StateDir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // A fresh instance also sees processes a test left behind with a disposed runtime.
        await _runtime.DisposeAsync();
        await using (var cleanup = new ProcessRuntime(StateDir))
        {
            foreach (var process in await cleanup.ListAsync(TestLabels, default))
            {
                await cleanup.RemoveAsync(process.Id, TimeSpan.Zero, default);
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Runs_busybox_httpd_on_its_port_and_removes_it()
    {
        var www = Directory.CreateDirectory(Path.Combine(_root, "www")).FullName;
        await File.WriteAllTextAsync(Path.Combine(www, "index.html"), "hello from a process\n");
        var spec = Spec("httpd", ["/bin/sh", "-c", "exec busybox httpd -f -p 127.0.0.1:$PORT -h \"$WWW\""], port: 8080,
            env: new Dictionary<string, string> { ["WWW"] = www });

        var info = await _runtime.RunAsync(spec, default);

        Assert.StartsWith("proc-", info.Id);
        Assert.Equal(ContainerStatus.Running, info.Status);
        Assert.NotNull(info.HostPort);
        var body = await Eventually.WaitAsync(
            async () =>
            {
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{info.HostPort}/"));
                return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
            },
            Deadline, $"busybox httpd on 127.0.0.1:{info.HostPort}");
        Assert.Equal("hello from a process\n", body);
        var stat = await File.ReadAllTextAsync($"/proc/{Pid(info.Id)}/stat");
        var groupAndSession = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2..4];
        Assert.Equal([Pid(info.Id).ToString(), Pid(info.Id).ToString()], groupAndSession);
        Assert.Equal(info.Id, Assert.Single(await _runtime.ListAsync(TestLabels, default)).Id);
        Assert.Single(Directory.GetFiles(StateDir, "proc-*.json"));

        await _runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(5), default);

        Assert.Null(await _runtime.InspectAsync(info.Id, default));
        Assert.Empty(await _runtime.ListAsync(TestLabels, default));
        Assert.Empty(Directory.GetFiles(StateDir, "proc-*.json"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => Http.GetAsync(new Uri($"http://127.0.0.1:{info.HostPort}/")));
        await _runtime.RemoveAsync(info.Id, TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public async Task Reports_die_with_the_exit_code_when_a_process_exits()
    {
        var events = new ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = _runtime.WatchAsync(TestLabels, events.Enqueue, stop.Token);

        var info = await _runtime.RunAsync(Spec("short", ["/bin/sh", "-c", "sleep 0.2; exit 3"]), default);

        var die = await Eventually.WaitAsync(
            () => Task.FromResult(events.FirstOrDefault(e => e.ContainerId == info.Id && e.Action == "die")),
            Deadline, "the die event");
        Assert.Equal("3", die.Labels["exitCode"]);
        Assert.Equal(_testId, die.Labels["crane.test"]);
        var exited = await _runtime.InspectAsync(info.Id, default);
        Assert.Equal(ContainerStatus.Exited, exited?.Status);
        Assert.Equal(3, exited?.ExitCode);

        await stop.CancelAsync();
        await watch.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_new_runtime_adopts_running_processes_from_the_state_directory()
    {
        var info = await _runtime.RunAsync(Spec("adopt", ["sleep", "60"]), default);
        await _runtime.DisposeAsync();

        await using var restarted = new ProcessRuntime(StateDir);
        var adopted = Assert.Single(await restarted.ListAsync(TestLabels, default));
        Assert.Equal(info.Id, adopted.Id);
        Assert.Equal(ContainerStatus.Running, adopted.Status);
        Assert.Equal(_testId, adopted.Labels["crane.test"]);

        var events = new ConcurrentQueue<ContainerEvent>();
        using var stop = new CancellationTokenSource();
        var watch = restarted.WatchAsync(TestLabels, events.Enqueue, stop.Token);
        await restarted.RemoveAsync(info.Id, TimeSpan.FromSeconds(5), default);

        Assert.Null(await restarted.InspectAsync(info.Id, default));
        Assert.False(Directory.Exists($"/proc/{Pid(info.Id)}") && !IsZombie(Pid(info.Id)), "the adopted process still runs");
        Assert.Equal(["kill", "die", "destroy"], events.Select(e => e.Action));
        await stop.CancelAsync();
        await watch.WaitAsync(Deadline);
        _runtime = new ProcessRuntime(StateDir);
    }

    [Fact]
    public async Task Remove_kills_a_process_that_ignores_sigterm_after_the_timeout()
    {
        var info = await _runtime.RunAsync(Spec("stubborn", ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]), default);
        await Task.Delay(200);

        var clock = Stopwatch.StartNew();
        await _runtime.RemoveAsync(info.Id, TimeSpan.FromMilliseconds(500), default);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        Assert.Null(await _runtime.InspectAsync(info.Id, default));
        Assert.False(Directory.Exists($"/proc/{Pid(info.Id)}") && !IsZombie(Pid(info.Id)), "the process survived removal");
    }

    [Fact]
    public async Task Exec_runs_on_the_host_with_the_process_port()
    {
        var info = await _runtime.RunAsync(Spec("exec", ["sleep", "60"], port: 8080), default);

        var result = await _runtime.ExecAsync(info.Id, ["/bin/sh", "-c", "echo port=$PORT; echo oops >&2; exit 2"], Deadline, default);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"port={info.HostPort}", result.Output);
        Assert.Contains("oops", result.Output);
        var slow = await _runtime.ExecAsync(info.Id, ["sleep", "30"], TimeSpan.FromMilliseconds(300), default);
        Assert.Equal(ExecResult.TimedOutExitCode, slow.ExitCode);
    }

    [Fact]
    public async Task Stats_report_the_cpu_time_and_resident_memory_of_a_busy_process()
    {
        var info = await _runtime.RunAsync(Spec("busy", ["/bin/sh", "-c", "while :; do :; done"]), default);
        var first = await _runtime.StatsAsync(info.Id, default);
        Assert.NotNull(first);
        Assert.True(first.MemoryWorkingSetBytes > 0, $"working set {first.MemoryWorkingSetBytes}");

        var later = await Eventually.WaitAsync(
            async () => await _runtime.StatsAsync(info.Id, default) is { } s && s.CpuSeconds >= first.CpuSeconds + 1 ? s : null,
            Deadline, "CpuSeconds to rise by 1 s");

        // One single-threaded process cannot use more CPU time than wall-clock time: catches a wrong tick rate.
        var used = later.CpuSeconds - first.CpuSeconds;
        var elapsed = (later.At - first.At).TotalSeconds;
        Assert.True(used <= elapsed + 0.1, $"{used:0.##} s of cpu in {elapsed:0.##} s");

        await _runtime.RemoveAsync(info.Id, TimeSpan.Zero, default);
        Assert.Null(await _runtime.StatsAsync(info.Id, default));
        Assert.Null(await _runtime.StatsAsync("proc-1-000000000000", default));
    }

    [Fact]
    public async Task Stats_of_an_exited_process_are_null()
    {
        var info = await _runtime.RunAsync(Spec("done", ["/bin/sh", "-c", "exit 0"]), default);

        await Eventually.WaitAsync(
            async () => await _runtime.InspectAsync(info.Id, default) is { Status: ContainerStatus.Exited } i ? i : null,
            Deadline, "the process to exit");
        Assert.Null(await _runtime.StatsAsync(info.Id, default));
    }

    [Fact]
    public async Task Run_without_a_command_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _runtime.RunAsync(Spec("nothing", []), default));
    }

    private ContainerSpec Spec(string suffix, IReadOnlyList<string> command, int? port = null, IReadOnlyDictionary<string, string>? env = null, long memory = 0) =>
        new($"crane-test-{_testId}-{suffix}", "ignored", command, null, env ?? new Dictionary<string, string>(), TestLabels, port, 0.1, memory);

    [Fact]
    public async Task A_replica_sees_only_PATH_HOME_and_its_own_env_never_cranes()
    {
        // This test process's environment stands for crane-seed's (connection strings, tokens).
        Environment.SetEnvironmentVariable("CRANE_TEST_SECRET", "leaked");
        var spec = Spec("env", ["/bin/sh", "-c", "env > \"$OUT\"; exec sleep 60"], env: new Dictionary<string, string> { ["OUT"] = Path.Combine(_root, "env.txt"), ["MINE"] = "yes" });

        await _runtime.RunAsync(spec, default);
        var lines = await Eventually.WaitAsync(
            async () => File.Exists(Path.Combine(_root, "env.txt")) && (await File.ReadAllLinesAsync(Path.Combine(_root, "env.txt"))) is { Length: > 0 } l ? l : null,
            Deadline, "the replica's env dump");

        Assert.Contains("MINE=yes", lines);
        Assert.Contains($"PATH={ProcessRuntime.ReplicaPath}", lines);
        Assert.Contains(lines, l => l.StartsWith("HOME=", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("CRANE_TEST_SECRET=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replica_runs_with_its_memory_as_an_address_space_limit()
    {
        var info = await _runtime.RunAsync(Spec("limits", ["/bin/sh", "-c", "exec sleep 60"], memory: 64L * 1024 * 1024), default);

        // The pid runs the shell, setsid and prlimit before it execs the command: wait until the command runs.
        await Eventually.WaitAsync(async () => (await File.ReadAllTextAsync($"/proc/{Pid(info.Id)}/cmdline")).StartsWith("sleep", StringComparison.Ordinal) ? "sleeping" : null,
            Deadline, "the replica's command");
        var limits = await File.ReadAllLinesAsync($"/proc/{Pid(info.Id)}/limits");

        var addressSpace = Assert.Single(limits, l => l.StartsWith("Max address space", StringComparison.Ordinal));
        Assert.Contains((64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), addressSpace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_log_past_its_size_is_rotated_and_the_replica_keeps_logging()
    {
        await using var runtime = new ProcessRuntime(Path.Combine(_root, "small-logs"), logMaxBytes: 64 * 1024);
        // About 1 MB of output, then one line a second.
        var spec = Spec("log", ["/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \"line $i of a chatty replica.....\"; i=$((i+1)); done; while true; do echo tick; sleep 1; done"]);
        var info = await runtime.RunAsync(spec, default);
        var log = await Eventually.WaitAsync(() => Task.FromResult(Directory.EnumerateFiles(Path.Combine(_root, "small-logs"), "*.log").SingleOrDefault()), Deadline, "the replica's log");

        await Eventually.WaitAsync(() => Task.FromResult(File.Exists(log + ".1") && new FileInfo(log).Length < 256 * 1024 ? "rotated" : null), Deadline, "a rotated log");
        await Eventually.WaitAsync(async () => (await File.ReadAllTextAsync(log)).Contains("tick", StringComparison.Ordinal) ? "ticking" : null, Deadline, "new lines after the rotation");

        Assert.True(new FileInfo(log + ".1").Length <= 2 * 1024 * 1024, "the rotated file holds one log's worth");
        await runtime.RemoveAsync(info.Id, TimeSpan.Zero, default);
    }

    private static int Pid(string id) => int.Parse(id.Split('-')[1]);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }
}
