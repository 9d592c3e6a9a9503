using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace Crane.Runtime.Tests;

/// <summary>The demo app's HTTP contract, which probes, the load balancer and autoscaling demos rely on.</summary>
[Collection(DockerCollection.Name)]
public sealed class DemoImageTests(DockerFixture fixture, ITestOutputHelper output) : DockerTestBase(fixture)
{
    [Fact]
    public async Task Health_and_ready_switches_give_exact_status_codes_without_redirects()
    {
        var port = await StartAsync("switches");

        await AssertStatusAsync(port, "/health", HttpStatusCode.OK, "ok");
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health/", HttpStatusCode.NotFound);
        await AssertStatusAsync(port, "/nothing-here", HttpStatusCode.NotFound);

        await AssertStatusAsync(port, "/fail/health", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health", HttpStatusCode.InternalServerError);
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);

        await AssertStatusAsync(port, "/fail/ready", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/ready", HttpStatusCode.ServiceUnavailable);

        await AssertStatusAsync(port, "/recover", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health", HttpStatusCode.OK, "ok");
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_a_request_counter()
    {
        var port = await StartAsync("metrics");
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);

        using var response = await Http.GetAsync(Url(port, "/metrics"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE demo_requests_total counter", body);
        Assert.Contains("\ndemo_up 1\n", body);
        var counter = body.Split('\n').Single(l => l.StartsWith("demo_requests_total ", StringComparison.Ordinal));
        Assert.True(long.Parse(counter.Split(' ')[1]) >= 2, counter);
    }

    [Fact]
    public async Task Burn_answers_at_once_and_keeps_a_cpu_busy()
    {
        var port = await StartAsync("burn");

        var clock = Stopwatch.StartNew();
        await AssertStatusAsync(port, "/burn?seconds=3", HttpStatusCode.OK);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"/burn blocked for {clock.Elapsed}");
        await AssertStatusAsync(port, "/burn?seconds=abc", HttpStatusCode.BadRequest);

        var id = (await Runtime.ListAsync(TestLabels, default)).Single().Id;
        var (exitCode, processes) = await Cli.RunAsync("docker", ["top", id], Deadline);
        Assert.True(exitCode == 0, processes);
        Assert.Contains("md5sum /dev/zero", processes);
    }

    [Fact]
    public async Task Alloc_rejects_sizes_that_are_not_whole_numbers_up_to_48_with_400()
    {
        var port = await StartAsync("alloc");

        foreach (var query in new[] { "mb=abc", "mb=", "mb=-1", "mb=1.5", "mb=49", "mb=100000000000000000000" })
        {
            await AssertStatusAsync(port, $"/alloc?{query}", HttpStatusCode.BadRequest);
        }

        await AssertStatusAsync(port, "/alloc?mb=2", HttpStatusCode.OK, "holding 2 MB");
        await AssertStatusAsync(port, "/free", HttpStatusCode.OK, "freed");
    }

    [Fact]
    public async Task Serves_fifty_concurrent_connections_without_refusing()
    {
        var port = await StartAsync("load");
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);

        // Fresh connections each time, as a load balancer without keep-alive would open them.
        using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 100 };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        var clock = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(port, i % 2 == 0 ? "/" : "/health"));
            request.Headers.ConnectionClose = true;
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }));
        output.WriteLine($"200 requests, up to 100 in parallel: {clock.ElapsedMilliseconds} ms");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task Slow_delays_app_requests_by_n_ms_until_fast()
    {
        var port = await StartAsync("slow");

        foreach (var query in new[] { "", "?ms=", "?ms=abc", "?ms=-1", "?ms=1.5", "?ms=10001", "?ms=100000000000000000000" })
        {
            await AssertStatusAsync(port, $"/slow{query}", HttpStatusCode.BadRequest);
        }

        await AssertStatusAsync(port, "/slow?ms=500", HttpStatusCode.OK);
        var slow = await TimeAsync(port, "/");
        // The switch leaves the probes and the metrics alone: they stay fast while the app is slow.
        var health = await TimeAsync(port, "/health");
        var metrics = await TimeAsync(port, "/metrics");
        await AssertStatusAsync(port, "/fast", HttpStatusCode.OK);
        var fast = await TimeAsync(port, "/");
        output.WriteLine($"slow /: {slow} ms, /health: {health} ms, /metrics: {metrics} ms; after /fast /: {fast} ms");

        Assert.True(slow >= 500, $"/ took {slow} ms after /slow?ms=500");
        Assert.True(health < 500, $"/health took {health} ms: the probes must not be delayed");
        Assert.True(metrics < 500, $"/metrics took {metrics} ms: the metrics must not be delayed");
        Assert.True(fast < 500, $"/ still took {fast} ms after /fast");

        // The bounds: 10000 is accepted, and /fast is never delayed itself.
        await AssertStatusAsync(port, "/slow?ms=10000", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/fast", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/slow?ms=0", HttpStatusCode.OK);
        Assert.True(await TimeAsync(port, "/") < 500);
    }

    [Fact]
    public async Task The_latency_histogram_counts_app_requests_in_their_buckets()
    {
        var port = await StartAsync("histogram");
        var before = await MetricsAsync(port);

        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/nothing-here", HttpStatusCode.NotFound);
        await AssertStatusAsync(port, "/slow?ms=300", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/slow?ms=1100", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/fast", HttpStatusCode.OK);
        // Not app requests: neither delayed nor counted.
        await AssertStatusAsync(port, "/health", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/ready", HttpStatusCode.OK);
        var after = await MetricsAsync(port);

        string[] bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
        Assert.Equal(bounds, after.Keys.Where(k => k.StartsWith("demo_request_duration_seconds_bucket{", StringComparison.Ordinal))
            .Select(k => k.Split('"')[1]));
        double Delta(string key) => after[key] - before[key];
        double Bucket(string le) => Delta($"demo_request_duration_seconds_bucket{{le=\"{le}\"}}");
        // Two fast (/ and a 404), two of ~300 ms, one of ~1100 ms; buckets are cumulative.
        Assert.Equal(2, Bucket("0.25"));
        Assert.Equal(4, Bucket("0.5"));
        Assert.Equal(4, Bucket("1"));
        Assert.Equal(5, Bucket("2.5"));
        Assert.Equal(5, Bucket("10"));
        Assert.Equal(5, Bucket("+Inf"));
        Assert.Equal(5, Delta("demo_request_duration_seconds_count"));
        var sum = Delta("demo_request_duration_seconds_sum");
        Assert.True(sum is >= 1.7 and < 2.7, $"sum grew by {sum} s for 0.3 + 0.3 + 1.1 s of delay and 2 fast requests");
        for (var i = 1; i < bounds.Length; i++)
        {
            Assert.True(after[$"demo_request_duration_seconds_bucket{{le=\"{bounds[i - 1]}\"}}"] <= after[$"demo_request_duration_seconds_bucket{{le=\"{bounds[i]}\"}}"]);
        }
    }

    [Fact]
    public async Task Fail_metrics_makes_metrics_answer_503_until_recover()
    {
        var port = await StartAsync("fail-metrics");

        await AssertStatusAsync(port, "/fail/metrics", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/metrics", HttpStatusCode.ServiceUnavailable);
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/health", HttpStatusCode.OK, "ok");

        await AssertStatusAsync(port, "/recover", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/metrics", HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_metrics_pass_promtool_check_metrics()
    {
        var port = await StartAsync("promtool");
        await AssertStatusAsync(port, "/slow?ms=30", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/", HttpStatusCode.OK);
        await AssertStatusAsync(port, "/fail/health", HttpStatusCode.OK);
        var body = await Http.GetStringAsync(Url(port, "/metrics"));

        var (exitCode, lint) = await PromtoolCheckMetricsAsync(body);

        Assert.True(exitCode == 0 && lint.Length == 0, $"promtool check metrics ({exitCode}): {lint}\n{body}");
        Assert.Contains("\ndemo_injected_delay_seconds 0.030\n", body);
        Assert.Contains("\ndemo_health_failing 1\n", body);
    }

    private static async Task<long> TimeAsync(int port, string path)
    {
        var clock = Stopwatch.StartNew();
        await AssertStatusAsync(port, path, HttpStatusCode.OK);
        return clock.ElapsedMilliseconds;
    }

    /// <summary>Every sample of /metrics by its series (name and labels as written).</summary>
    private static async Task<Dictionary<string, double>> MetricsAsync(int port)
    {
        var body = await Http.GetStringAsync(Url(port, "/metrics"));
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }

    /// <summary><c>promtool check metrics</c> reads the exposition from stdin; it prints nothing when the text is clean.</summary>
    private static async Task<(int ExitCode, string Output)> PromtoolCheckMetricsAsync(string body)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start promtool");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(body);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }

    private async Task<int> StartAsync(string suffix)
    {
        var info = await Runtime.RunAsync(DemoSpec(suffix), default);
        Assert.NotNull(info.HostPort);
        (await WaitForHttpAsync(info.HostPort.Value, "/")).Dispose();
        return info.HostPort.Value;
    }

    private static Uri Url(int port, string path) => new($"http://127.0.0.1:{port}{path}");

    private static async Task AssertStatusAsync(int port, string path, HttpStatusCode expected, string? body = null)
    {
        using var response = await Http.GetAsync(Url(port, path));
        Assert.True(expected == response.StatusCode, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}");
        if (body is not null)
        {
            Assert.Equal(body, (await response.Content.ReadAsStringAsync()).Trim());
        }
    }
}
