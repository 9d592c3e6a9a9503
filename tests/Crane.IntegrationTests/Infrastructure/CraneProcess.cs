using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Crane.IntegrationTests;

public sealed record CraneProcessOptions
{
    public string Runtime { get; init; } = "docker";
    public string CapacityCpu { get; init; } = "2";
    public string CapacityMemory { get; init; } = "4Gi";

    /// <summary>The token the fixture's client sends; null: the admin token the seed generates into its data dir.</summary>
    public string? ApiToken { get; init; }

    /// <summary>More crane-seed flags, e.g. ["--opa-url", "http://127.0.0.1:1"].</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>
    /// Run Crane's own Prometheus and Alertmanager (any free ports) with a 1 s scrape, a 1 s autoscaler sync, a 5 s rate window
    /// and a 1 s alert resend delay, as the autoscaling and alerting tests need; off by default (--prometheus-url none) so seeds
    /// that need neither start neither.
    /// </summary>
    public bool Prometheus { get; init; }

    internal IEnumerable<string> PrometheusArgs() => Prometheus
        ? ["--prometheus-port", "0", "--scrape-interval-seconds", "1", "--autoscaler-sync-seconds", "1", "--autoscaler-window-seconds", "5",
            "--alertmanager-port", "0", "--alert-resend-delay-seconds", "1"]
        : ["--prometheus-url", "none"];
}

/// <summary>
/// One real <c>crane-seed --all-in-one</c> with its own data dir, node name, Akka port and <c>crane.test=&lt;id&gt;</c>
/// container label. It can be killed (SIGKILL), stopped (SIGTERM) and started again on the same data dir. Disposing
/// kills the process it started (by its Process object) and removes only the containers with its own label, and the
/// host processes its process runtime started (found by its unique node name) and the NGINX it started (found by its prefix under
/// the data dir), whether the tests passed or not.
/// </summary>
public sealed class CraneProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly CraneProcessOptions _options;
    private readonly OutputTail _log = new();
    private Process? _process;
    private CraneClient? _api;
    private int _starts;

    private CraneProcess(CraneProcessOptions options)
    {
        _options = options;
        TestId = $"it-{Guid.NewGuid():N}"[..15];
        NodeName = $"node-{TestId}";
        DataDir = Path.Combine(Path.GetTempPath(), $"crane-{TestId}");
        AkkaPort = Loopback.FreeTcpPort();
        Directory.CreateDirectory(DataDir);
    }

    /// <summary>The value of this seed's <c>crane.test</c> container label.</summary>
    public string TestId { get; }

    public string NodeName { get; }

    public string DataDir { get; }

    public int AkkaPort { get; }

    public string Runtime => _options.Runtime;

    public int HttpPort { get; private set; }

    /// <summary>Port of the NGINX this seed owns (written by crane-seed to &lt;data-dir&gt;/lb.port).</summary>
    public int LbPort { get; private set; }

    /// <summary>Port of the Prometheus this seed owns, with <see cref="CraneProcessOptions.Prometheus"/> (from &lt;data-dir&gt;/prometheus.port).</summary>
    public int PrometheusPort { get; private set; }

    /// <summary>Port of the Alertmanager this seed owns, with <see cref="CraneProcessOptions.Prometheus"/>.</summary>
    public int AlertmanagerPort { get; private set; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException("crane-seed is not running");

    public bool IsRunning => _process is { HasExited: false };

    public CraneClient Api => _api ?? throw new InvalidOperationException("crane-seed has not been started");

    /// <summary>Label selector (<c>key=value</c>) for every container this seed made.</summary>
    public string ContainerLabel => $"crane.test={TestId}";

    public static async Task<CraneProcess> StartAsync(CraneProcessOptions? options = null)
    {
        var crane = new CraneProcess(options ?? new CraneProcessOptions());
        try
        {
            if (crane.Runtime == "docker")
            {
                await DockerCli.EnsureEngineAsync();
                await DockerCli.EnsureDemoImageAsync();
            }

            await crane.StartAgainAsync();
            return crane;
        }
        catch
        {
            await crane.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the process (again) on the same data dir, node name and Akka port, and waits until it serves.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
            throw new InvalidOperationException($"crane-seed {NodeName} is already running (pid {Pid})");
        _process?.Dispose();
        _api?.Dispose();
        _api = null;
        var portFile = Path.Combine(DataDir, "http.port");
        File.Delete(portFile);
        _starts++;
        _log.Append($"--- start #{_starts} ---");

        var start = new ProcessStartInfo(RepoPaths.SeedBinary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = DataDir,
        };
        foreach (var arg in new[]
                 {
                     "--all-in-one", "--http-port", "0", "--lb-port", "0", "--akka-port", AkkaPort.ToString(CultureInfo.InvariantCulture),
                     "--data-dir", DataDir, "--node-name", NodeName, "--container-labels", ContainerLabel,
                     "--runtime", Runtime, "--capacity-cpu", _options.CapacityCpu, "--capacity-memory", _options.CapacityMemory,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in _options.PrometheusArgs().Concat(_options.ExtraArgs))
            start.ArgumentList.Add(arg);
        if (Runtime == "process")
            start.ArgumentList.Add("--allow-process-runtime");

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
        await WaitUntilServingAsync(portFile);
    }

    /// <summary>SIGKILL, then waits for the exit: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("crane-seed was never started");
        if (process.HasExited)
            return;
        process.Kill(entireProcessTree: false);
        await WaitForExitAsync(process, TimeSpan.FromSeconds(15), "SIGKILL");
    }

    /// <summary>SIGTERM, then waits up to <paramref name="grace"/> for a clean exit (fails, after a SIGKILL, if it hangs).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        var process = _process ?? throw new InvalidOperationException("crane-seed was never started");
        if (process.HasExited)
            return;
        HostProcesses.Signal(process.Id, HostProcesses.SigTerm);
        await WaitForExitAsync(process, grace, "SIGTERM");
    }

    /// <summary>Kill -9 and start again on the same data dir, as after a crash.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAgainAsync();
    }

    public string LogTail(int lines = 60) => _log.Last(lines);

    /// <summary>The process's state in a line, for failure messages.</summary>
    public string Describe() =>
        _process is null ? $"crane-seed {NodeName} never started"
        : _process.HasExited ? $"crane-seed {NodeName} exited with code {_process.ExitCode}"
        : $"crane-seed {NodeName} running as pid {_process.Id} on http port {HttpPort}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill(entireProcessTree: false);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"CraneProcess {NodeName}: could not kill crane-seed: {ex.Message}");
        }

        HostProcesses.KillSeedTools(DataDir);

        // Replicas of the process runtime outlive the seed on purpose; they carry CRANE_NODE=<our unique node name>.
        foreach (var pid in HostProcesses.WithEnvironment("CRANE_NODE", NodeName))
            HostProcesses.Signal(pid, HostProcesses.SigKill);

        if (Runtime == "docker")
        {
            try
            {
                await DockerCli.RemoveByLabelAsync(ContainerLabel, settle: TimeSpan.FromSeconds(2));
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"CraneProcess {NodeName}: could not remove containers labelled {ContainerLabel}: {ex.Message}");
            }
        }

        _api?.Dispose();
        _process?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task WaitUntilServingAsync(string portFile)
    {
        var process = _process!;
        var clock = Stopwatch.StartNew();
        using var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var last = "http.port not written yet";
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"crane-seed {NodeName} exited with code {process.ExitCode} before it was ready ({last}). Log tail:\n{LogTail()}");
            }

            if (HttpPort == 0 || _api is null)
            {
                if (File.Exists(portFile) && int.TryParse((await OutputTail.ReadOrEmptyAsync(portFile)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
                {
                    HttpPort = port;
                    _api = new CraneClient(new Uri($"http://127.0.0.1:{port}"), _options.ApiToken ?? await OutputTail.AdminTokenAsync(DataDir));
                    LbPort = int.Parse((await OutputTail.ReadOrEmptyAsync(Path.Combine(DataDir, "lb.port"))).Trim(), CultureInfo.InvariantCulture);
                    if (_options.Prometheus)
                    {
                        PrometheusPort = int.Parse((await OutputTail.ReadOrEmptyAsync(Path.Combine(DataDir, "prometheus.port"))).Trim(), CultureInfo.InvariantCulture);
                        AlertmanagerPort = int.Parse((await OutputTail.ReadOrEmptyAsync(Path.Combine(DataDir, "alertmanager.port"))).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }

            if (_api is not null)
            {
                last = await ReadinessAsync(probe);
                if (last == "ready")
                    return;
            }

            if (clock.Elapsed > ReadyTimeout)
            {
                throw new InvalidOperationException(
                    $"crane-seed {NodeName} (pid {process.Id}) not ready after {ReadyTimeout.TotalSeconds:0}s: {last}. Log tail:\n{LogTail()}");
            }

            await Task.Delay(150);
        }
    }

    /// <summary>"ready" once /readyz is 200 and the node has registered with the scheduler, else what is missing.</summary>
    private async Task<string> ReadinessAsync(HttpClient probe)
    {
        try
        {
            using var ready = await probe.GetAsync(new Uri(_api!.BaseAddress, "/readyz"));
            if (ready.StatusCode != HttpStatusCode.OK)
                return $"/readyz answered {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}";
            var nodes = await _api.NodesAsync();
            return nodes.Any(n => n.Name == NodeName && n.Status == "Ready")
                ? "ready"
                : $"node {NodeName} not registered yet: [{string.Join("; ", nodes.Select(n => n.Describe()))}]";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private async Task WaitForExitAsync(Process process, TimeSpan timeout, string signal)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: false);
            throw new InvalidOperationException(
                $"crane-seed {NodeName} (pid {process.Id}) did not exit within {timeout.TotalSeconds:0}s of {signal}. Log tail:\n{LogTail()}");
        }
    }

}
