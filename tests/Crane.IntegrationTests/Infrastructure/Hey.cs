using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Crane.IntegrationTests;

/// <summary>What <c>hey</c> printed: responses per status code, errors per message, total time and latency percentiles.</summary>
public sealed partial record HeyReport(
    IReadOnlyDictionary<int, long> StatusCodes,
    IReadOnlyDictionary<string, long> Errors,
    double TotalSeconds,
    double RequestsPerSecond,
    IReadOnlyDictionary<int, double> LatencyPercentiles,
    string Raw)
{
    public long Responses => StatusCodes.Values.Sum();

    public long Requests => Responses + Errors.Values.Sum();

    public double? Percentile(int p) => LatencyPercentiles.TryGetValue(p, out var v) ? v : null;

    public string Describe() =>
        $"{Requests} requests in {TotalSeconds:0.0}s ({RequestsPerSecond:0} req/s); status codes [{string.Join(", ", StatusCodes.Select(kv => $"{kv.Key}: {kv.Value}"))}]; " +
        $"errors [{string.Join("; ", Errors.Select(kv => $"{kv.Value}x {kv.Key}"))}]; p50 {Ms(Percentile(50))}, p99 {Ms(Percentile(99))}";

    private static string Ms(double? seconds) => seconds is null ? "-" : $"{seconds.Value * 1000:0.0} ms";

    /// <summary>Reads hey's default summary output.</summary>
    public static HeyReport Parse(string output)
    {
        var codes = new Dictionary<int, long>();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var percentiles = new Dictionary<int, double>();
        string? section = null;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                section = line.TrimEnd(':');
                continue;
            }

            var trimmed = line.Trim();
            switch (section)
            {
                case "Status code distribution" when StatusLine().Match(trimmed) is { Success: true } m:
                    codes[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    break;
                case "Error distribution" when ErrorLine().Match(trimmed) is { Success: true } m:
                    errors[m.Groups[2].Value] = errors.GetValueOrDefault(m.Groups[2].Value) + long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    break;
                case "Latency distribution" when PercentileLine().Match(trimmed) is { Success: true } m:
                    percentiles[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    break;
            }
        }

        return new HeyReport(codes, errors, Seconds(output, TotalLine()), Seconds(output, RateLine()), percentiles, output);
    }

    private static double Seconds(string output, Regex pattern) =>
        pattern.Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;

    [GeneratedRegex(@"^\[(\d{3})\]\s+(\d+) responses$")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^\[(\d+)\]\s+(.*)$")]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@"^(\d+)% in ([0-9.]+) secs$")]
    private static partial Regex PercentileLine();

    [GeneratedRegex(@"Total:\s+([0-9.]+) secs")]
    private static partial Regex TotalLine();

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RateLine();
}

/// <summary>A running <c>hey</c> load generator (a child process of the test), ended by its own Process object.</summary>
public sealed class HeyRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private HeyRun(Process process, IReadOnlyList<string> arguments)
    {
        _process = process;
        Arguments = arguments;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public IReadOnlyList<string> Arguments { get; }

    public string CommandLine => "hey " + string.Join(' ', Arguments);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>hey args...</c>; fails clearly when hey is not installed (test.sh installs it).</summary>
    public static HeyRun Start(params string[] arguments)
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "hey")).FirstOrDefault(File.Exists)
                   ?? throw new InvalidOperationException("hey is not installed (not found on PATH); test.sh installs it (apt package hey). This test needs it and never skips.");
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in arguments)
            start.ArgumentList.Add(arg);
        // Loopback only: hey honours proxy variables from the environment.
        foreach (var proxy in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" })
            start.Environment.Remove(proxy);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start hey");
        process.StandardInput.Close();
        return new HeyRun(process, arguments);
    }

    /// <summary>Waits for hey to finish on its own and parses its summary.</summary>
    public async Task<HeyReport> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"`{CommandLine}` did not finish within {timeout.TotalSeconds:0}s");
        }

        var stdout = await _stdout;
        var stderr = await _stderr;
        if (_process.ExitCode != 0)
            throw new InvalidOperationException($"`{CommandLine}` exited {_process.ExitCode}: {stderr}{stdout}");
        return HeyReport.Parse(new StringBuilder(stdout).Append(stderr).ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
