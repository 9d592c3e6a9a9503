using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crane.Runtime;

/// <summary>
/// Runs each "container" as a local child process (Linux), for machines without Docker
/// (<c>--runtime process</c>). <see cref="ContainerSpec.Command"/> + <see cref="ContainerSpec.Args"/> are the
/// argv; the image, cpu and memory are ignored. Each process leads its own session and process group, gets
/// <c>PORT</c> (a free loopback port, reported as the host port) when the spec has a port, and writes its
/// output to a log file under the state directory. A JSON state file per process lets a restarted Crane list
/// and adopt processes that are still running; disposing the runtime leaves them running on purpose.
/// <see cref="ExecAsync"/> runs the command on the host, with the process's <c>PORT</c> set.
/// <see cref="StatsAsync"/> measures the tracked process alone, not its children: CPU time from
/// <c>/proc/&lt;pid&gt;/stat</c>, the resident set (<c>VmRSS</c>) as working set.
/// </summary>
public sealed class ProcessRuntime : IContainerRuntime
{
    private const string MarkerVariable = "CRANE_PROCESS_ID";
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int SysconfClockTicks = 2;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
    private static readonly Lazy<double> ClockTicksPerSecond = new(ClockTicks);

    /// <summary>What a replica's PATH is: the usual system directories, not Crane's own PATH.</summary>
    public const string ReplicaPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>A replica's output log rotates past this size (one older file kept), as Docker's json-file max-size.</summary>
    public const long DefaultLogMaxBytes = 10 * 1024 * 1024;

    private static readonly string? Prlimit = new[] { "/usr/bin/prlimit", "/bin/prlimit" }.FirstOrDefault(File.Exists);

    private readonly string _stateDir;
    private readonly long _logMaxBytes;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TrackedProcess> _processes = new();
    private readonly ConcurrentDictionary<Guid, Watcher> _watchers = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _poller;

    public ProcessRuntime(string stateDir, ILogger? logger = null, long logMaxBytes = DefaultLogMaxBytes)
    {
        _logMaxBytes = logMaxBytes;
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the process runtime needs Linux (/proc, process groups)");
        }

        _stateDir = Path.GetFullPath(stateDir);
        _logger = logger ?? NullLogger.Instance;
        Directory.CreateDirectory(_stateDir);
        LoadStateFiles();
        _poller = PollAsync(_stopping.Token);
    }

    public string Name => "process";

    public Task PrepareAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(_stateDir);
        return Task.CompletedTask;
    }

    public async Task<ContainerInfo> RunAsync(ContainerSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var argv = (spec.Command ?? []).Concat(spec.Args ?? []).ToList();
        if (argv.Count == 0)
        {
            throw new ArgumentException($"the process runtime needs a command or args for {spec.Name}", nameof(spec));
        }

        foreach (var leftover in _processes.Values.Where(p => p.Record.Name == spec.Name).ToList())
        {
            await RemoveAsync(leftover.Record.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        }

        var marker = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6));
        var logPath = Path.Combine(_stateDir, $"{marker}.log");
        int? port = spec.Port is null ? null : FreeLoopbackPort();

        // setsid (without fork: the shell is not a group leader) keeps the pid and makes it lead its own group.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            "if command -v setsid >/dev/null 2>&1; then exec setsid \"$@\" >>\"$CRANE_PROCESS_LOG\" 2>&1 </dev/null; fi; " +
            "exec \"$@\" >>\"$CRANE_PROCESS_LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add(spec.Name);
        foreach (var arg in LimitPrefix(spec).Concat(argv))
        {
            start.ArgumentList.Add(arg);
        }

        // Nothing of Crane's own environment (connection strings, tokens) reaches a replica: PATH, HOME and its own env.
        start.Environment.Clear();
        start.Environment["PATH"] = ReplicaPath;
        start.Environment["HOME"] = _stateDir;
        foreach (var (key, value) in spec.Env)
        {
            start.Environment[key] = value;
        }

        if (port is { } p)
        {
            start.Environment["PORT"] = p.ToString(CultureInfo.InvariantCulture);
        }

        start.Environment["CRANE_PROCESS_LOG"] = logPath;
        start.Environment[MarkerVariable] = marker;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {argv[0]}");
        var pid = process.Id;
        var record = new ProcessRecord(
            $"proc-{pid}-{marker}",
            spec.Name,
            pid,
            ProcStartTime(pid),
            marker,
            port,
            new Dictionary<string, string>(spec.Labels),
            argv,
            logPath,
            DateTimeOffset.UtcNow,
            Exited: false,
            ExitCode: null);
        var tracked = new TrackedProcess(record, process);
        _processes[record.Id] = tracked;
        Save(record);
        _logger.LogInformation("Started process {Name} ({Id}): {Command}", spec.Name, record.Id, string.Join(' ', argv));
        Publish(record, "start");
        _ = WatchChildAsync(tracked, process);
        return ToInfo(tracked.Record);
    }

    public async Task RemoveAsync(string containerId, TimeSpan stopTimeout, CancellationToken ct)
    {
        if (!_processes.TryGetValue(containerId, out var tracked))
        {
            return;
        }

        var record = tracked.Record;
        if (IsAlive(record))
        {
            Signal(record, SigTerm);
            Publish(record, "kill", ("signal", "15"));
            if (!await WaitForExitAsync(record, stopTimeout, ct).ConfigureAwait(false))
            {
                Signal(record, SigKill);
                Publish(record, "kill", ("signal", "9"));
                await WaitForExitAsync(record, KillWait, ct).ConfigureAwait(false);
            }
        }

        // Children that outlived their leader (e.g. started in the background) carry its marker.
        foreach (var straggler in ProcessesWithMarker(record.Marker))
        {
            Kill(straggler, SigKill);
        }

        if (tracked.Child is { } child)
        {
            try
            {
                await child.WaitForExitAsync(ct).WaitAsync(KillWait, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Process {Name} ({Id}) survived SIGKILL for {Wait}", record.Name, record.Id, KillWait);
            }
        }

        MarkExited(tracked, tracked.Child?.HasExited == true ? tracked.Child.ExitCode : null);
        lock (tracked)
        {
            if (tracked.Removed)
            {
                return;
            }

            tracked.Removed = true;
            TryDelete(StatePath(containerId));
        }

        _processes.TryRemove(containerId, out _);
        TryDelete(record.LogPath);
        TryDelete(record.LogPath + ".1");
        tracked.Child?.Dispose();
        Publish(record, "destroy");
        _logger.LogInformation("Removed process {Name} ({Id})", record.Name, record.Id);
    }

    public Task<ContainerInfo?> InspectAsync(string containerId, CancellationToken ct)
    {
        if (!_processes.TryGetValue(containerId, out var tracked))
        {
            return Task.FromResult<ContainerInfo?>(null);
        }

        Refresh(tracked);
        return Task.FromResult<ContainerInfo?>(ToInfo(tracked.Record));
    }

    public Task<ContainerStats?> StatsAsync(string containerId, CancellationToken ct)
    {
        if (!_processes.TryGetValue(containerId, out var tracked) || tracked.Record.Exited)
        {
            return Task.FromResult<ContainerStats?>(null);
        }

        if (ReadStat(tracked.Record.Pid) is not { } stat || !IsAlive(tracked.Record, stat)
            || ReadRssBytes(tracked.Record.Pid) is not { } rss)
        {
            return Task.FromResult<ContainerStats?>(null);
        }

        return Task.FromResult<ContainerStats?>(
            new ContainerStats(stat.CpuTicks / ClockTicksPerSecond.Value, rss, DateTimeOffset.UtcNow));
    }

    public Task<IReadOnlyList<ContainerInfo>> ListAsync(IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var infos = new List<ContainerInfo>();
        foreach (var tracked in _processes.Values)
        {
            if (LabelSelector.Matches(tracked.Record.Labels, labels))
            {
                Refresh(tracked);
                infos.Add(ToInfo(tracked.Record));
            }
        }

        return Task.FromResult<IReadOnlyList<ContainerInfo>>(infos.OrderBy(i => i.Name, StringComparer.Ordinal).ToList());
    }

    public async Task WatchAsync(IReadOnlyDictionary<string, string> labels, Action<ContainerEvent> onEvent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        var key = Guid.NewGuid();
        _watchers[key] = new Watcher(new Dictionary<string, string>(labels), onEvent);
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _watchers.TryRemove(key, out _);
        }
    }

    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("exec needs a command", nameof(command));
        }

        if (!_processes.TryGetValue(containerId, out var tracked))
        {
            throw new InvalidOperationException($"process {containerId} not found");
        }

        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" 2>&1");
        start.ArgumentList.Add("exec");
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        if (tracked.Record.Port is { } port)
        {
            start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            var partial = await output.WaitAsync(KillWait, CancellationToken.None).ConfigureAwait(false);
            return new ExecResult(ExecResult.TimedOutExitCode,
                partial + string.Create(CultureInfo.InvariantCulture, $"\nexec timed out after {timeout.TotalSeconds:0.###}s"));
        }

        return new ExecResult(process.ExitCode, await output.ConfigureAwait(false));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _poller.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var tracked in _processes.Values)
        {
            tracked.Child?.Dispose();
        }

        _stopping.Dispose();
    }

    private void LoadStateFiles()
    {
        foreach (var file in Directory.EnumerateFiles(_stateDir, "proc-*.json"))
        {
            try
            {
                var record = JsonSerializer.Deserialize<ProcessRecord>(File.ReadAllText(file), JsonOptions);
                if (record is not null)
                {
                    var tracked = new TrackedProcess(record, null);
                    _processes[record.Id] = tracked;
                    Refresh(tracked);
                    _logger.LogInformation("Adopted process {Name} ({Id}), {State}",
                        record.Name, record.Id, tracked.Record.Exited ? "exited" : "running");
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                _logger.LogWarning(ex, "Ignoring unreadable process state file {File}", file);
            }
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            foreach (var tracked in _processes.Values)
            {
                Refresh(tracked);
                RotateLog(tracked.Record.LogPath, _logMaxBytes);
            }
        }
    }

    /// <summary>
    /// prlimit in front of the command: the address space capped at the spec's memory (no cgroup of our own here; the kernel
    /// refuses allocations past it), 256 open files more than enough for a replica. Empty without prlimit or a memory limit.
    /// </summary>
    private static IEnumerable<string> LimitPrefix(ContainerSpec spec) =>
        Prlimit is { } prlimit && spec.Memory > 0
            ? [prlimit, $"--as={spec.Memory.ToString(CultureInfo.InvariantCulture)}", "--nofile=1024", "--"]
            : [];

    /// <summary>Copy-truncate: a log over <paramref name="maxBytes"/> becomes .1 (the previous .1 is dropped) and starts empty again.</summary>
    internal static void RotateLog(string path, long maxBytes)
    {
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length <= maxBytes)
                return;
            File.Copy(path, path + ".1", overwrite: true);
            // The replica writes with O_APPEND: after the truncation its next line lands at the new end.
            using var log = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            log.SetLength(0);
        }
        catch (IOException)
        {
        }
    }

    private async Task WatchChildAsync(TrackedProcess tracked, Process child)
    {
        try
        {
            await child.WaitForExitAsync(_stopping.Token).ConfigureAwait(false);
            MarkExited(tracked, child.ExitCode);
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException)
        {
            // Disposed by RemoveAsync: that path records the exit itself.
        }
    }

    /// <summary>Adopted processes are not our children: their exit is seen by polling /proc, without a code.</summary>
    private void Refresh(TrackedProcess tracked)
    {
        if (!tracked.Record.Exited && tracked.Child is null && !IsAlive(tracked.Record))
        {
            MarkExited(tracked, null);
        }
    }

    private void MarkExited(TrackedProcess tracked, int? exitCode)
    {
        ProcessRecord record;
        lock (tracked)
        {
            if (tracked.Record.Exited)
            {
                return;
            }

            record = tracked.Record with { Exited = true, ExitCode = exitCode };
            tracked.Record = record;
            if (!tracked.Removed)
            {
                TrySave(record);
            }
        }

        _logger.LogInformation("Process {Name} ({Id}) exited with code {ExitCode}", record.Name, record.Id, exitCode);
        Publish(record, "die", ("exitCode", exitCode?.ToString(CultureInfo.InvariantCulture) ?? "unknown"));
    }

    private void Publish(ProcessRecord record, string action, params (string Key, string Value)[] attributes)
    {
        var labels = new Dictionary<string, string>(record.Labels) { ["name"] = record.Name };
        foreach (var (key, value) in attributes)
        {
            labels[key] = value;
        }

        var containerEvent = new ContainerEvent(record.Id, action, labels);
        foreach (var watcher in _watchers.Values)
        {
            if (!LabelSelector.Matches(record.Labels, watcher.Labels))
            {
                continue;
            }

            try
            {
                watcher.OnEvent(containerEvent);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Container event handler failed for {Action} of {Id}", action, record.Id);
            }
        }
    }

    private async Task<bool> WaitForExitAsync(ProcessRecord record, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (IsAlive(record))
        {
            if (deadline.Elapsed >= timeout)
            {
                return false;
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        return true;
    }

    private static void Signal(ProcessRecord record, int signal)
    {
        // The whole group first (shell pipelines, forked workers), then the leader in case setsid was missing.
        Kill(-record.Pid, signal);
        Kill(record.Pid, signal);
    }

    /// <summary>Alive = the pid exists, is not a zombie, and started when ours did (pids get reused).</summary>
    private static bool IsAlive(ProcessRecord record) => IsAlive(record, ReadStat(record.Pid));

    private static bool IsAlive(ProcessRecord record, (char State, long StartTime, long CpuTicks)? stat)
    {
        if (stat is null || stat.Value.State is 'Z' or 'X')
        {
            return false;
        }

        return record.ProcessStartTime is null || record.ProcessStartTime == stat.Value.StartTime;
    }

    private static long? ProcStartTime(int pid) => ReadStat(pid)?.StartTime;

    /// <summary>State, start time and utime + stime (both in clock ticks) from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    private static (char State, long StartTime, long CpuTicks)? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which may itself contain spaces and parentheses.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (
                fields[0][0],
                long.Parse(fields[19], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long? ReadRssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields is ["VmRSS:", var kib, "kB"])
                {
                    return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static double ClockTicks()
    {
        var ticks = (long)NativeMethods.sysconf(SysconfClockTicks).Value;
        return ticks > 0 ? ticks : 100;
    }

    private static List<int> ProcessesWithMarker(string marker)
    {
        var needle = Encoding.UTF8.GetBytes($"{MarkerVariable}={marker}\0");
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(needle) >= 0)
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ContainerInfo ToInfo(ProcessRecord record) => new(
        record.Id,
        record.Name,
        record.Labels,
        record.Exited ? ContainerStatus.Exited : ContainerStatus.Running,
        record.Port,
        record.Exited ? record.ExitCode : null,
        record.StartedAt,
        // The process listens on the host port itself: it stands for the spec's port (label crane.port).
        record.Port is { } port && record.Labels.TryGetValue("crane.port", out var named) && int.TryParse(named, out var containerPort)
            ? new Dictionary<int, int> { [containerPort] = port }
            : null);

    private void Save(ProcessRecord record)
    {
        var path = StatePath(record.Id);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, JsonOptions));
        File.Move(temp, path, overwrite: true);
    }

    private void TrySave(ProcessRecord record)
    {
        try
        {
            Save(record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "Could not write the state of process {Id}", record.Id);
        }
    }

    private string StatePath(string id) => Path.Combine(_stateDir, $"{id}.json");

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Could not delete {Path}", path);
        }
    }

    private static void Kill(int pid, int signal) => _ = NativeMethods.kill(pid, signal);

    internal sealed record ProcessRecord(
        string Id,
        string Name,
        int Pid,
        long? ProcessStartTime,
        string Marker,
        int? Port,
        Dictionary<string, string> Labels,
        IReadOnlyList<string> Command,
        string LogPath,
        DateTimeOffset StartedAt,
        bool Exited,
        int? ExitCode);

    private sealed class TrackedProcess(ProcessRecord record, Process? child)
    {
        public ProcessRecord Record { get; set; } = record;

        public Process? Child { get; } = child;

        /// <summary>Set under the lock once the state file is deleted, so a late exit cannot write it back.</summary>
        public bool Removed { get; set; }
    }

    private sealed record Watcher(IReadOnlyDictionary<string, string> Labels, Action<ContainerEvent> OnEvent);

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);

        [DllImport("libc")]
        public static extern CLong sysconf(int name);
    }
}
