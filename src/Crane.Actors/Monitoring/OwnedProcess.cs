using System.Diagnostics;
using System.Globalization;
using Crane.Actors.LoadBalancing;

namespace Crane.Actors.Monitoring;

/// <summary>
/// A server program an actor owns (Prometheus, Alertmanager): started with its arguments, its output appended to a log
/// file, its pid in a pid file so a later Crane can stop it if this one is killed; each exit is reported to the owner with
/// the pid, and the owner restarts it after <see cref="NextRestartDelay"/>. Not thread-safe: the owning actor calls it.
/// </summary>
internal sealed class OwnedProcess(string binary, string logPath, string pidPath, int stopSignal, TimeSpan stopGrace)
{
    private static readonly Nodes.Backoff RestartBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));

    private Process? _process;
    private DateTimeOffset _startedAt;
    private int _crashes;

    // In a session of its own, the server does not get the terminal's Ctrl-C: Crane stops it, once, when it stops itself.
    // setsid execs in place (the child of a fork is no group leader), so the pid stays the server's.
    private static readonly string? Setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;

    public bool Running => _process is { HasExited: false };

    public int? Pid => Running ? _process!.Id : null;

    public string LogPath => logPath;

    /// <summary>Starts the program; <paramref name="onExit"/> gets (pid, exit code) on a pool thread, also after <see cref="Stop"/>.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The binary cannot be run.</exception>
    public int Start(IEnumerable<string> args, Action<int, int> onExit)
    {
        var info = new ProcessStartInfo(Setsid ?? binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (Setsid is not null)
            info.ArgumentList.Add(Executable(binary));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        // These servers log to stderr; an unread pipe would fill and block them.
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        process.EnableRaisingEvents = true;
        var pid = process.Id;
        process.Exited += (_, _) =>
        {
            // Runs on a pool thread, possibly after Stop disposed the process: nothing may throw here.
            var exitCode = -1;
            try
            {
                process.WaitForExit();
                exitCode = process.ExitCode;
            }
            catch (InvalidOperationException)
            {
            }

            lock (log)
                log.Dispose();
            onExit(pid, exitCode);
        };
        _process = process;
        _startedAt = DateTimeOffset.UtcNow;
        File.WriteAllText(pidPath, pid.ToString(CultureInfo.InvariantCulture));
        return pid;
    }

    /// <summary>The program's path: as given when it has a slash, else found on PATH; a missing one fails as Process.Start would.</summary>
    private static string Executable(string program) =>
        (program.Contains('/', StringComparison.Ordinal) ? (File.Exists(program) ? program : null) : ChildProcess.FindOnPath(program))
        ?? throw new System.ComponentModel.Win32Exception(2, "No such file or directory");

    /// <summary>"exited with code N: &lt;its last log line&gt;; see &lt;log&gt;": why a server stopped, in one line.</summary>
    public static string ExitMessage(string name, int exitCode, string log)
    {
        string? last = null;
        try
        {
            last = File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0)?.Trim();
        }
        catch (IOException)
        {
        }

        return $"{name} exited with code {exitCode.ToString(CultureInfo.InvariantCulture)}{(last is null ? "" : $": {last}")}; see {log}";
    }

    /// <summary>True when <paramref name="pid"/> is the process this owner started last (exits of older ones are stale).</summary>
    public bool IsCurrent(int pid) => _process is not null && _process.Id == pid;

    /// <summary>After an exit: forget the process and say how long to wait before starting it again (1 s doubling to 30 s, reset after a minute up).</summary>
    public TimeSpan NextRestartDelay()
    {
        _crashes = RestartBackoff.NextCrashCount(_crashes, DateTimeOffset.UtcNow - _startedAt);
        _process?.Dispose();
        _process = null;
        TryDelete(pidPath);
        return RestartBackoff.Delay(_crashes);
    }

    /// <summary>Signal, wait up to the grace period, then kill; removes the pid file.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            Signals.Send(process.Id, stopSignal);
            if (!ChildProcess.WaitForExit(process.Id, stopGrace))
                process.Kill(entireProcessTree: true);
        }

        _process?.Dispose();
        _process = null;
        TryDelete(pidPath);
    }

    /// <summary>A process of ours left over from a Crane that was killed (its pid file, a command line naming <paramref name="marker"/>): stop it.</summary>
    public Task StopLeftover(string marker) =>
        ChildProcess.StopLeftover(pidPath, cmdline => cmdline.Split('\0').Contains(marker, StringComparer.Ordinal), stopSignal, stopGrace, killAfterWait: true);

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
            return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The outcome of <see cref="CheckedFile.ReplaceAsync"/>: Error set when the check refused the text (the old file stays).</summary>
internal sealed record Replaced(string? Error, bool Reloaded, string? ReloadError);

/// <summary>How the owners of Prometheus and Alertmanager change a file the server reads: check a candidate, rename it over, reload.</summary>
internal static class CheckedFile
{
    /// <summary>
    /// Writes <paramref name="text"/> to a candidate next to <paramref name="path"/> (suffix .new, so a *.yml glob does not load
    /// it), runs <paramref name="check"/> on it (promtool, amtool: exit code and output), and on success renames it over the file
    /// and, when <paramref name="reloadUrl"/> is given, POSTs to it. A refused candidate is deleted; its output names "the file"
    /// instead of the candidate path.
    /// </summary>
    public static async Task<Replaced> ReplaceAsync(string path, string text, Func<string, Task<(int ExitCode, string Output)>> check,
        HttpClient http, string? reloadUrl)
    {
        var candidate = path + ".new";
        await File.WriteAllTextAsync(candidate, text);
        var (exitCode, output) = await check(candidate);
        if (exitCode != 0)
        {
            OwnedProcess.TryDelete(candidate);
            return new Replaced(output.Replace(candidate, Path.GetFileName(path), StringComparison.Ordinal).Trim(), false, null);
        }

        File.Move(candidate, path, overwrite: true);
        if (reloadUrl is null)
            return new Replaced(null, false, null);
        try
        {
            using var response = await http.PostAsync(reloadUrl, content: null);
            return response.IsSuccessStatusCode
                ? new Replaced(null, true, null)
                : new Replaced(null, false, $"reload failed: {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync()).Trim()}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new Replaced(null, false, $"reload failed: {ex.Message}");
        }
    }
}
