using System.Diagnostics;

namespace Crane.IntegrationTests;

/// <summary>
/// <c>./run.sh</c> (or another repository script) as a user starts it: its console lines are kept in order, it can be sent
/// signals like Ctrl-C, and disposing kills it and whatever still names its data dir.
/// </summary>
internal sealed class RunScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly string _dataDir;

    private RunScript(Process process, string dataDir)
    {
        _process = process;
        _dataDir = dataDir;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Every console line so far (stdout and stderr, in arrival order).</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
                return _lines.ToList();
        }
    }

    public string Console => string.Join('\n', Lines);

    /// <summary>Starts <c>bash &lt;repo&gt;/<paramref name="script"/> args</c> with <paramref name="environment"/> added to this process' environment.</summary>
    public static RunScript Start(string script, IEnumerable<string> args, string dataDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, script));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        var process = new Process { StartInfo = start };
        var script_ = new RunScript(process, dataDir);
        process.OutputDataReceived += (_, e) => script_.Add(e.Data);
        process.ErrorDataReceived += (_, e) => script_.Add(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return script_;
    }

    private void Add(string? line)
    {
        if (line is null)
            return;
        lock (_lines)
            _lines.Add(line);
    }

    /// <summary>Waits for a console line containing <paramref name="fragment"/>; fails early when the script exits first.</summary>
    public async Task<string> WaitForLineAsync(string fragment, TimeSpan timeout) =>
        await Wait.Until(
            () => Task.FromResult(Lines.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal)) ?? (HasExited ? throw new InvalidOperationException($"exited ({ExitCode})") : null)),
            line => line is not null,
            timeout,
            $"the console should show a line with '{fragment}'",
            _ => $"\n{Console}") ?? "";

    public void Signal(int signal) => HostProcesses.Signal(Pid, signal);

    /// <summary>Waits until the script has exited and no process names its data dir any more (seed, nodes, NGINX, Prometheus, Alertmanager).</summary>
    public async Task WaitUntilAllGoneAsync(TimeSpan timeout, string message) =>
        await Wait.Until(
            () => Task.FromResult((Exited: HasExited, Left: HostProcesses.WithCommandLine(_dataDir).Where(HostProcesses.IsAlive).ToList())),
            s => s.Exited && s.Left.Count == 0,
            timeout,
            message,
            s => $"script exited: {s.Exited}; still running: {string.Join(", ", s.Left.Select(p => $"{p} {HostProcesses.CommandLine(p)}"))}\n{Console}");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        foreach (var pid in HostProcesses.WithCommandLine(_dataDir))
            HostProcesses.Signal(pid, HostProcesses.SigKill);
        HostProcesses.KillSeedTools(_dataDir);
        _process.Dispose();
    }
}
