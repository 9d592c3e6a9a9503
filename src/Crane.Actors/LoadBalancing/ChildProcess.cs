using System.Diagnostics;

namespace Crane.Actors.LoadBalancing;

/// <summary>What the owners of NGINX and Prometheus both do with the programs they run.</summary>
internal static class ChildProcess
{
    /// <summary>The first <paramref name="program"/> on PATH, as Process.Start would find it; null when there is none.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs a tool to its end (nginx -t, promtool check); exit code and stderr + stdout, 127 when it cannot start.</summary>
    public static async Task<(int ExitCode, string Output)> Run(string binary, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stderr + await stdout);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (127, $"cannot run {binary}: {ex.Message}");
        }
    }

    /// <summary>
    /// Waits until <paramref name="pid"/> has exited (gone, or a zombie not yet reaped) by reading /proc, so the wait does not
    /// depend on .NET's reaping of children (Process.WaitForExit returned seconds late while actors stopped at shutdown).
    /// </summary>
    public static bool WaitForExit(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (!Running(pid))
                return true;
            if (DateTime.UtcNow >= deadline)
                return false;
            Thread.Sleep(10);
        }
    }

    private static bool Running(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A process of ours left over from a Crane that was killed (found by its pid file) holds a port
    /// or a lock: signal it and wait for it to go, killing it after the wait when asked. Only a
    /// process whose command line <paramref name="isOurs"/> accepts: a stale pid may belong to anyone.
    /// </summary>
    public static async Task StopLeftover(string pidFile, Func<string, bool> isOurs, int signal, TimeSpan wait, bool killAfterWait)
    {
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
            return;
        var cmdline = $"/proc/{pid}/cmdline";
        if (!File.Exists(cmdline) || !isOurs(await File.ReadAllTextAsync(cmdline)))
            return;
        Signals.Send(pid, signal);
        var deadline = DateTime.UtcNow + wait;
        while (Running(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        if (killAfterWait && Running(pid))
        {
            using var leftover = Process.GetProcessById(pid);
            leftover.Kill();
        }
    }
}
