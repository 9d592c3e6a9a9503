using System.Diagnostics;
using System.Net.Sockets;
using Crane.Contracts.Specs;
using Crane.Runtime;

namespace Crane.Actors.Nodes;

public sealed record ProbeOutcome(bool Success, TimeSpan Duration, string Message);

/// <summary>Runs one probe attempt against a replica: http GET (200–399), tcp connect, or exec (exit 0).</summary>
public sealed class Prober(IContainerRuntime runtime, HttpClient http)
{
    public async Task<ProbeOutcome> Run(ProbeSpec probe, string containerId, int? hostPort, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(probe.TimeoutSeconds);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            var (ok, message) = probe.Type switch
            {
                "http" => await Http(probe, hostPort, cts.Token),
                "tcp" => await Tcp(hostPort, cts.Token),
                "exec" => await Exec(probe, containerId, timeout, cts.Token),
                _ => (false, $"unknown probe type {probe.Type}"),
            };
            return new ProbeOutcome(ok, Stopwatch.GetElapsedTime(started), message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeOutcome(false, Stopwatch.GetElapsedTime(started), $"timed out after {timeout.TotalSeconds:0.###}s");
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or IOException)
        {
            return new ProbeOutcome(false, Stopwatch.GetElapsedTime(started), ex.Message);
        }
    }

    private async Task<(bool, string)> Http(ProbeSpec probe, int? hostPort, CancellationToken ct)
    {
        if (hostPort is null)
            return (false, "no published port to probe");
        using var response = await http.GetAsync($"http://127.0.0.1:{hostPort}{probe.Path ?? "/"}", HttpCompletionOption.ResponseHeadersRead, ct);
        var code = (int)response.StatusCode;
        return (code is >= 200 and < 400, $"HTTP {code} from {probe.Path}");
    }

    private static readonly TimeSpan CloseWatch = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// Connect, then watch the socket briefly: Docker's port proxy accepts every connection on a
    /// published port and closes it at once when nothing listens inside, so an immediate close or
    /// reset is a failure; a connection that stays open (or sends a banner) is a success.
    /// </summary>
    private static async Task<(bool, string)> Tcp(int? hostPort, CancellationToken ct)
    {
        if (hostPort is null)
            return (false, "no published port to probe");
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", hostPort.Value, ct);
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(ct);
        watch.CancelAfter(CloseWatch);
        var buffer = new byte[1];
        try
        {
            var read = await client.GetStream().ReadAsync(buffer, watch.Token);
            return read > 0 ? (true, $"connected to port {hostPort}") : (false, $"port {hostPort} accepted and closed at once: nothing listens behind it");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (true, $"connected to port {hostPort}");
        }
        catch (IOException ex)
        {
            return (false, $"port {hostPort} reset the connection: {ex.Message}");
        }
    }

    private async Task<(bool, string)> Exec(ProbeSpec probe, string containerId, TimeSpan timeout, CancellationToken ct)
    {
        var result = await runtime.ExecAsync(containerId, probe.Command ?? [], timeout, ct);
        return (result.ExitCode == 0, $"exit code {result.ExitCode}: {Truncate(result.Output)}");
    }

    private static string Truncate(string s) => s.Length <= 200 ? s.Trim() : s[..200].Trim() + "…";
}
