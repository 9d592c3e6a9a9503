using System.Globalization;

namespace Crane.IntegrationTests;

/// <summary>
/// A throwaway PostgreSQL on 127.0.0.1 in a temp dir, started and stopped with scripts/postgres-dev (which runs it as
/// the postgres user when the tests run as root). Disposing stops it (by its data dir, else by the postmaster's pid)
/// and deletes the dir.
/// </summary>
public sealed class PostgresDev : IAsyncDisposable
{
    private readonly string _root;

    private PostgresDev(string root, string dataDir, int port)
    {
        _root = root;
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }

    public int Port { get; }

    public string ConnectionString { get; private set; } = "";

    private static string Script => Path.Combine(RepoPaths.Root, "scripts", "postgres-dev");

    public static async Task<PostgresDev> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"crane-pg-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(root);
        var pg = new PostgresDev(root, Path.Combine(root, "data"), Loopback.FreeTcpPort());
        try
        {
            var started = await ProcessRunner.RunAsync("bash", [Script, "start", pg.DataDir, pg.Port.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(90));
            var line = started.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            if (started.ExitCode != 0 || line is null || !line.StartsWith("Host=127.0.0.1;", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"scripts/postgres-dev start exited {started.ExitCode} (PostgreSQL is a test dependency; test.sh installs it): {started.Stdout}{started.Stderr}");
            }

            pg.ConnectionString = line;
            return pg;
        }
        catch
        {
            await pg.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
        {
            try
            {
                var stopped = await ProcessRunner.RunAsync("bash", [Script, "stop", DataDir], TimeSpan.FromSeconds(30));
                if (stopped.ExitCode != 0)
                    await Console.Error.WriteLineAsync($"PostgresDev: stop exited {stopped.ExitCode}: {stopped.Stderr}");
            }
            catch (TimeoutException ex)
            {
                await Console.Error.WriteLineAsync($"PostgresDev: {ex.Message}");
            }

            KillPostmasterIfStillThere();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The first line of postmaster.pid is the server's pid; it is ended only when its command line names this data dir.</summary>
    private void KillPostmasterIfStillThere()
    {
        try
        {
            var pidFile = Path.Combine(DataDir, "postmaster.pid");
            if (!File.Exists(pidFile))
                return;
            var first = File.ReadLines(pidFile).FirstOrDefault();
            if (int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && HostProcesses.IsAlive(pid) &&
                File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(DataDir, StringComparison.Ordinal))
            {
                HostProcesses.Signal(pid, HostProcesses.SigKill);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
        }
    }

}
