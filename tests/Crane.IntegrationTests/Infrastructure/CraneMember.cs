using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Crane.IntegrationTests;

/// <summary>
/// One process of a <see cref="CraneCluster"/>: a <c>crane-seed</c> (control only, or all-in-one) or a
/// <c>crane-node</c>. It can be killed (SIGKILL), paused (SIGSTOP), resumed (SIGCONT), stopped (SIGTERM) and
/// started again with the same flags and data dir. The cluster disposes it.
/// </summary>
public sealed class CraneMember
{
    public const int SigCont = 18;
    public const int SigStop = 19;

    private static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binary;
    private readonly IReadOnlyList<string> _args;
    private readonly OutputTail _log = new();
    private Process? _process;
    private CraneClient? _api;
    private int _starts;

    internal CraneMember(string name, bool isSeed, bool isWorker, string zone, string binary, string dataDir, int akkaPort, IReadOnlyList<string> args)
    {
        Name = name;
        IsSeed = isSeed;
        IsWorker = isWorker;
        Zone = zone;
        _binary = binary;
        DataDir = dataDir;
        AkkaPort = akkaPort;
        _args = args;
        Directory.CreateDirectory(dataDir);
    }

    /// <summary>The member's name: the node name for workers (what containers are labelled with), a label for seeds.</summary>
    public string Name { get; }

    public bool IsSeed { get; }

    /// <summary>Runs containers: every crane-node, and a seed started all-in-one.</summary>
    public bool IsWorker { get; }

    /// <summary>The <c>zone</c> node label ("" for a control-only seed).</summary>
    public string Zone { get; }

    public string DataDir { get; }

    /// <summary>The Akka port it was given (0 for nodes: the OS picks one at every start).</summary>
    public int AkkaPort { get; }

    /// <summary>The flags it runs with, for failure messages.</summary>
    public IReadOnlyList<string> Args => _args;

    public int Pid => _process?.Id ?? throw new InvalidOperationException($"{Name} was never started");

    public bool IsRunning => _process is { HasExited: false };

    public bool IsPaused { get; private set; }

    public int HttpPort { get; private set; }

    /// <summary>The HTTP API (seeds only).</summary>
    public CraneClient Api => _api ?? throw new InvalidOperationException($"{Name} serves no API (not a seed, or not started)");

    internal void Start()
    {
        if (IsRunning)
            throw new InvalidOperationException($"{Name} is already running (pid {Pid})");
        _process?.Dispose();
        _api?.Dispose();
        _api = null;
        HttpPort = 0;
        IsPaused = false;
        File.Delete(Path.Combine(DataDir, "http.port"));
        _starts++;
        _log.Append($"--- start #{_starts}: {Path.GetFileName(_binary)} {string.Join(' ', _args)} ---");

        var start = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = DataDir,
        };
        foreach (var arg in _args)
            start.ArgumentList.Add(arg);

        // Flags say everything; CRANE_* variables from the caller's environment must not change them.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("CRANE_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _log.Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _log.Append(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Seeds: until <c>http.port</c> is written and <c>/readyz</c> answers 200 (the member is Up).</summary>
    internal async Task WaitServingAsync()
    {
        if (!IsSeed)
            return;
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started");
        var portFile = Path.Combine(DataDir, "http.port");
        var clock = Stopwatch.StartNew();
        using var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var last = "http.port not written yet";
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before it served ({last}). Log tail:\n{LogTail()}");
            if (_api is null && File.Exists(portFile) &&
                int.TryParse((await OutputTail.ReadOrEmptyAsync(portFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
            {
                HttpPort = port;
                _api = new CraneClient(new Uri($"http://127.0.0.1:{port}"), await OutputTail.AdminTokenAsync(DataDir));
            }

            if (_api is not null)
            {
                try
                {
                    using var ready = await probe.GetAsync(new Uri(_api.BaseAddress, "/readyz"));
                    if (ready.StatusCode == HttpStatusCode.OK)
                        return;
                    last = $"/readyz answered {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    last = $"{ex.GetType().Name}: {ex.Message}";
                }
            }

            if (clock.Elapsed > ServeTimeout)
                throw new InvalidOperationException($"{Name} (pid {process.Id}) did not serve within {ServeTimeout.TotalSeconds:0}s: {last}. Log tail:\n{LogTail()}");
            await Task.Delay(150);
        }
    }

    /// <summary>SIGKILL, then waits for the exit: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started");
        if (process.HasExited)
            return;
        process.Kill(entireProcessTree: false);
        await WaitForExitAsync(TimeSpan.FromSeconds(15), "SIGKILL");
        IsPaused = false;
    }

    /// <summary>SIGSTOP: the process is frozen, sockets stay open; to the cluster it looks like a partition.</summary>
    public void Pause()
    {
        HostProcesses.Signal(Pid, SigStop);
        IsPaused = true;
    }

    /// <summary>SIGCONT.</summary>
    public void Resume()
    {
        HostProcesses.Signal(Pid, SigCont);
        IsPaused = false;
    }

    /// <summary>SIGTERM, then waits up to <paramref name="grace"/> for a clean exit (fails, after a SIGKILL, if it hangs).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started");
        if (process.HasExited)
            return;
        HostProcesses.Signal(process.Id, HostProcesses.SigTerm);
        await WaitForExitAsync(grace, "SIGTERM");
    }

    /// <summary>Waits for the process to end on its own; true when it did within <paramref name="timeout"/>.</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started");
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public string LogTail(int lines = 60) => _log.Last(lines);

    public string Describe() =>
        _process is null ? $"{Name} never started"
        : _process.HasExited ? $"{Name} exited with code {_process.ExitCode}"
        : $"{Name} running as pid {_process.Id}{(IsPaused ? " (paused)" : "")}{(IsSeed ? $" on http port {HttpPort}" : "")}";

    /// <summary>SIGCONT when paused, SIGKILL, wait: only the process this member started, by its pid.</summary>
    internal async Task EndAsync()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                if (IsPaused)
                    HostProcesses.Signal(process.Id, SigCont);
                process.Kill(entireProcessTree: false);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"CraneCluster: could not end {Name}: {ex.Message}");
        }

        if (IsSeed)
            HostProcesses.KillSeedTools(DataDir);

        _api?.Dispose();
        _process?.Dispose();
    }

    private async Task WaitForExitAsync(TimeSpan timeout, string signal)
    {
        var process = _process!;
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: false);
            throw new InvalidOperationException($"{Name} (pid {process.Id}) did not exit within {timeout.TotalSeconds:0}s of {signal}. Log tail:\n{LogTail()}");
        }
    }
}
