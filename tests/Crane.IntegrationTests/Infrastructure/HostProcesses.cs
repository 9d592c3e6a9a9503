using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Crane.IntegrationTests;

/// <summary>Signals and /proc lookups for processes this test run started (directly or through its crane-seed).</summary>
internal static class HostProcesses
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    public static void Signal(int pid, int signal)
    {
        if (NativeMethods.kill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            const int NoSuchProcess = 3;
            if (errno != NoSuchProcess)
                throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}");
        }
    }

    /// <summary>Pids whose environment holds <c>name=value</c> exactly (Crane sets CRANE_NODE/CRANE_REPLICA on replicas).</summary>
    public static IReadOnlyList<int> WithEnvironment(string name, string value)
    {
        var entry = Encoding.UTF8.GetBytes($"{name}={value}\0");
        var inside = Encoding.UTF8.GetBytes($"\0{name}={value}\0");
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().StartsWith(entry) || environ.AsSpan().IndexOf(inside) >= 0)
                    pids.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    /// <summary>Pids whose command line (arguments joined by spaces) contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<int> WithCommandLine(string fragment) =>
        Pids().Where(pid => CommandLine(pid)?.Contains(fragment, StringComparison.Ordinal) == true).ToList();

    /// <summary>The command line of <paramref name="pid"/>, arguments joined by spaces; null when it is gone.</summary>
    public static string? CommandLine(int pid) => Read($"/proc/{pid}/cmdline")?.Replace('\0', ' ');

    /// <summary>
    /// A seed killed with SIGKILL leaves the tools it owns running (NGINX holding its port, Prometheus and Alertmanager holding ports and locks):
    /// end the NGINX master serving the prefix under <paramref name="dataDir"/> with its workers, and the Prometheus and Alertmanager whose
    /// configs live there. Only processes that name our own data dir are touched.
    /// </summary>
    public static void KillSeedTools(string dataDir)
    {
        foreach (var master in WithCommandLine($"-p {Path.Combine(dataDir, "nginx")} "))
        {
            var workers = ChildrenOf(master);
            Signal(master, SigKill);
            foreach (var worker in workers)
                Signal(worker, SigKill);
        }

        foreach (var tool in new[] { "prometheus", "alertmanager" })
        {
            foreach (var pid in WithCommandLine($"--config.file={Path.Combine(dataDir, tool)}{Path.DirectorySeparatorChar}"))
                Signal(pid, SigKill);
        }
    }

    /// <summary>Pids whose parent is <paramref name="parent"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int parent) =>
        Pids().Where(pid => Read($"/proc/{pid}/stat") is { } stat && ParentOf(stat) == parent).ToList();

    private static int? ParentOf(string stat)
    {
        // Fields after "(comm)": state ppid ...
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : null;
    }

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : -1)
            .Where(pid => pid > 0);

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);
    }
}
