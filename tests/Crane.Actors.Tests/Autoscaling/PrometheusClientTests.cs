using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crane.Actors.Autoscaling;

using Crane.Actors.Tests.Monitoring;

namespace Crane.Actors.Tests.Autoscaling;

/// <summary>
/// One real Prometheus (package prometheus) on a free loopback port, in a temp directory, scraping a loopback HttpListener
/// every second: one job per replica, each with its own /metrics/{index} path and static workload/replica labels. Each
/// replica's cpu counter grows by Cores every second, so rate() of it is that many cores.
/// </summary>
public sealed class LoopbackPrometheus : IAsyncLifetime
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public sealed record Replica(string Workload, string Name, double Cores, long MemoryBytes);

    public static readonly IReadOnlyList<Replica> Replicas =
    [
        new("web", "web-1", 0.25, 100_000_000),
        new("web", "web-2", 0.75, 300_000_000),
        new("other", "other-1", 2, 5_000),
        new("we\"ird\\name", "odd-1", 1, 7_000),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("crane-prom-query-test-").FullName;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private LoopbackMetricsServer? _metrics;
    private readonly StringBuilder _log = new();
    private Process? _prometheus;

    public int Port { get; } = LoopbackMetricsServer.FreePort();

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public string Log
    {
        get
        {
            lock (_log)
                return _log.Length > 4000 ? _log.ToString(_log.Length - 4000, 4000) : _log.ToString();
        }
    }

    public async Task InitializeAsync()
    {
        _metrics = new LoopbackMetricsServer(Answer, Append);

        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, Config());
        var info = new ProcessStartInfo("prometheus")
        {
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(_dir, "data")}",
                $"--web.listen-address=127.0.0.1:{Port}",
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        _prometheus = Process.Start(info) ?? throw new InvalidOperationException("prometheus did not start");
        _prometheus.ErrorDataReceived += (_, e) => Append(e.Data);
        _prometheus.OutputDataReceived += (_, e) => Append(e.Data);
        _prometheus.BeginErrorReadLine();
        _prometheus.BeginOutputReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually(async () =>
        {
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "-/ready"));
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, "Prometheus is ready");
    }

    /// <summary>Polls condition every 200 ms until it holds or <see cref="Deadline"/> passes, then fails with what and Prometheus' log.</summary>
    public async Task Eventually(Func<Task<bool>> condition, string what, Func<string>? lastAnswer = null)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (_prometheus is { HasExited: true })
                Assert.Fail($"prometheus exited with {_prometheus.ExitCode} while waiting until {what}; log: {Log}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out after {Deadline.TotalSeconds:0}s waiting until {what}; last answer: {lastAnswer?.Invoke() ?? "-"}; " +
                            $"targets: {await Targets()}; log: {Log}");
            await Task.Delay(200);
        }
    }

    private async Task<string> Targets()
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var json = JsonNode.Parse(await http.GetStringAsync(new Uri(Url, "api/v1/targets")));
            return string.Join("; ", json?["data"]?["activeTargets"]?.AsArray().Select(t =>
                $"{t?["labels"]?["job"]} {t?["health"]} {t?["lastScrape"]} {t?["lastError"]}") ?? []);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private string Config()
    {
        var sb = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:

            """);
        for (var i = 0; i < Replicas.Count; i++)
        {
            var r = Replicas[i];
            sb.Append(CultureInfo.InvariantCulture, $"""
                  - job_name: replica-{i}
                    metrics_path: /metrics/{i}
                    static_configs:
                      - targets: ["{_metrics!.Target}"]
                        labels: {"{"}workload: {Quote(r.Workload)}, replica: {Quote(r.Name)}, node: "node-a"{"}"}

                """);
        }

        return sb.ToString();
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private string? Answer(string path)
    {
        if (!path.StartsWith("/metrics/", StringComparison.Ordinal) ||
            !int.TryParse(path["/metrics/".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) || i >= Replicas.Count)
            return null;
        var r = Replicas[i];
        var cpu = r.Cores * _clock.Elapsed.TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture, $"""
            # TYPE crane_container_cpu_seconds_total counter
            crane_container_cpu_seconds_total {cpu:R}
            # TYPE crane_container_memory_working_set_bytes gauge
            crane_container_memory_working_set_bytes {r.MemoryBytes}

            """);
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    public Task DisposeAsync()
    {
        if (_prometheus is { } prometheus)
        {
            try
            {
                if (!prometheus.HasExited)
                {
                    prometheus.Kill();
                    prometheus.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
            }

            prometheus.Dispose();
        }

        _metrics?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

/// <summary>PrometheusClient against the real Prometheus of <see cref="LoopbackPrometheus"/>, and against ports that do not answer.</summary>
public sealed class PrometheusClientTests(LoopbackPrometheus prometheus) : IClassFixture<LoopbackPrometheus>, IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Recorder _recorder = new();
    private HttpClient? _http;

    private PrometheusClient Client(Uri? url = null, TimeSpan? timeout = null)
    {
        _http ??= new HttpClient(_recorder) { Timeout = timeout ?? TimeSpan.FromSeconds(5) };
        return new PrometheusClient(_http, url ?? prometheus.Url);
    }

    private async Task<ReplicaValues> Poll(string promql, Func<ReplicaValues, bool> complete, string what)
    {
        var client = Client();
        QueryResult? last = null;
        ReplicaValues? values = null;
        await prometheus.Eventually(async () =>
        {
            last = await client.QueryAsync(promql, CancellationToken.None);
            Assert.NotEqual(QueryStatus.Invalid, last.Status);
            values = ReplicaValues.From(last.Samples);
            return last.Status == QueryStatus.Ok && complete(values);
        }, what, () => $"{last?.Status} {last?.Error} [{string.Join(", ", last?.Samples.Select(s => $"{string.Join(",", s.Labels)}={s.Value}") ?? [])}]");
        return values!;
    }

    // rate() extrapolates to the window's start only if its first sample is within 1.1 intervals of it, else by half an
    // interval (8 of 10 s covered reads 20 % low): wait until the series is older than the window.
    private Task WindowFilled() =>
        Poll("count_over_time(crane_container_cpu_seconds_total{workload=\"web\"}[20s])",
            v => v.PerReplica.Count == 2 && v.PerReplica.Values.All(n => n >= 12), "both web replicas were scraped for longer than the window");

    [Fact]
    public async Task The_cpu_query_returns_cores_per_replica_of_the_workload()
    {
        await WindowFilled();

        var values = await Poll(MetricQueries.Cpu("web", Window), v => v.PerReplica.Count == 2, "both web replicas have a cpu rate");

        Assert.Null(values.Error);
        Assert.Null(values.WorkloadWide);
        Assert.Equal(["web-1", "web-2"], values.PerReplica.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(values.For("web-1")!.Value, 0.225, 0.275);
        Assert.InRange(values.For("web-2")!.Value, 0.675, 0.825);
        Assert.Null(values.For("other-1"));
    }

    [Fact]
    public async Task The_memory_query_returns_bytes_per_replica_of_the_workload()
    {
        var values = await Poll(MetricQueries.Memory("web"), v => v.PerReplica.Count == 2, "both web replicas have a working set");

        Assert.Equal(100_000_000, values.For("web-1"));
        Assert.Equal(300_000_000, values.For("web-2"));
    }

    [Fact]
    public async Task A_workload_name_with_quote_and_backslash_selects_exactly_its_series()
    {
        var values = await Poll(MetricQueries.Memory("we\"ird\\name"), v => v.PerReplica.Count > 0, "the odd workload's replica has a working set");

        Assert.Equal(["odd-1"], values.PerReplica.Keys);
        Assert.Equal(7_000, values.For("odd-1"));
    }

    [Fact]
    public async Task A_custom_query_with_one_value_is_the_workload_wide_average()
    {
        const string query = "sum(rate(crane_container_cpu_seconds_total{workload=\"web\"}[10s])) / count(up{workload=\"web\"})";
        await WindowFilled();

        var values = await Poll(query, v => v.WorkloadWide is not null, "the custom query has a value");

        Assert.Empty(values.PerReplica);
        Assert.InRange(values.WorkloadWide!.Value, 0.45, 0.55);
        Assert.Equal(values.WorkloadWide, values.For("web-1"));
    }

    [Fact]
    public async Task A_query_with_several_unlabelled_series_is_a_shape_error()
    {
        var values = await Poll("sum by (job) (up)", v => v.Error is not null, "all four jobs are up");

        Assert.StartsWith(ReplicaValues.ShapeError, values.Error);
    }

    [Fact]
    public async Task A_syntax_error_is_invalid_with_prometheus_message()
    {
        var client = Client();

        var result = await client.QueryAsync("sum(rate(x[1m])", CancellationToken.None);

        Assert.Equal(QueryStatus.Invalid, result.Status);
        Assert.Equal("invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis", result.Error);
        Assert.Empty(result.Samples);
        Assert.Equal(result.Error, await client.ValidateAsync("sum(rate(x[1m])", CancellationToken.None));
    }

    [Fact]
    public async Task Validation_accepts_instant_queries_and_rejects_what_the_autoscaler_cannot_use()
    {
        var client = Client();

        Assert.Null(await client.ValidateAsync("sum(rate(x[1m]))", CancellationToken.None));
        Assert.Null(await client.ValidateAsync(MetricQueries.Cpu("we\"ird\\name", Window), CancellationToken.None));
        Assert.Null(await client.ValidateAsync(MetricQueries.Memory("a\nb\tc\rd\u0001\u007f"), CancellationToken.None));
        Assert.Null(await client.ValidateAsync("scalar(vector(1))", CancellationToken.None));
        Assert.Contains("range vector", await client.ValidateAsync("x[1m]", CancellationToken.None));
        Assert.Contains("string", await client.ValidateAsync("\"text\"", CancellationToken.None));
        // An evaluation error: 422 execution.
        Assert.Equal("invalid regular expression in label_replace(): (",
            await client.ValidateAsync("label_replace(vector(1), \"a\", \"b\", \"c\", \"(\")", CancellationToken.None));
        Assert.Contains("no expression found", await client.ValidateAsync("", CancellationToken.None));
    }

    [Fact]
    public async Task A_long_query_goes_as_a_post_form()
    {
        var client = Client();
        var longQuery = "vector(1)" + string.Concat(Enumerable.Repeat(" + vector(0)", 300));

        var shortResult = await client.QueryAsync("vector(2)", CancellationToken.None);
        var longResult = await client.QueryAsync(longQuery, CancellationToken.None);

        Assert.Equal([HttpMethod.Get, HttpMethod.Post], _recorder.Methods);
        Assert.Equal(2, Assert.Single(shortResult.Samples).Value);
        Assert.Equal(1, Assert.Single(longResult.Samples).Value);
    }

    [Fact]
    public async Task A_closed_port_is_unavailable_at_once()
    {
        var client = Client(new Uri($"http://127.0.0.1:{LoopbackMetricsServer.FreePort()}"), TimeSpan.FromSeconds(3));
        var watch = Stopwatch.StartNew();

        var result = await client.QueryAsync("up", CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal(QueryStatus.Unavailable, result.Status);
        Assert.Contains("cannot reach Prometheus", result.Error);
        var e = await Assert.ThrowsAsync<PrometheusUnavailableException>(() => client.ValidateAsync("up", CancellationToken.None));
        Assert.Contains("cannot reach Prometheus", e.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_unavailable_after_the_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var client = Client(new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"), TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();

        var result = await client.QueryAsync("up", CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.Equal(QueryStatus.Unavailable, result.Status);
        Assert.Contains("did not answer within 0.5s", result.Error);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var client = Client(new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}"), TimeSpan.FromSeconds(10));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.QueryAsync("up", cts.Token));
    }

    [Theory]
    [InlineData("http://prom.test:9090", "http://prom.test:9090/api/v1/query?query=up")]
    [InlineData("http://prom.test:9090/prometheus", "http://prom.test:9090/prometheus/api/v1/query?query=up")]
    [InlineData("http://prom.test:9090/prometheus/", "http://prom.test:9090/prometheus/api/v1/query?query=up")]
    public async Task Queries_go_to_api_v1_query_under_the_base_path(string baseUrl, string expected)
    {
        var recorder = new Recorder(answer: true);
        using var http = new HttpClient(recorder);

        var result = await new PrometheusClient(http, new Uri(baseUrl)).QueryAsync("up", CancellationToken.None);

        Assert.Equal(QueryStatus.Ok, result.Status);
        Assert.Equal(expected, Assert.Single(recorder.Uris).AbsoluteUri);
    }

    [Fact]
    public async Task The_query_is_percent_encoded()
    {
        var recorder = new Recorder(answer: true);
        using var http = new HttpClient(recorder);

        await new PrometheusClient(http, new Uri("http://prom.test:9090")).QueryAsync("a{b=\"c d+e&f\\\\\"} / 2", CancellationToken.None);

        Assert.Equal("?query=a%7Bb%3D%22c%20d%2Be%26f%5C%5C%22%7D%20%2F%202", Assert.Single(recorder.Uris).Query);
    }

    public void Dispose()
    {
        _http?.Dispose();
        _recorder.Dispose();
    }

    /// <summary>Records every request; passes it to a real handler, or answers an empty vector itself.</summary>
    private sealed class Recorder(bool answer = false) : DelegatingHandler(new SocketsHttpHandler())
    {
        public List<HttpMethod> Methods { get; } = [];

        public List<Uri> Uris { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Methods.Add(request.Method);
            Uris.Add(request.RequestUri!);
            return answer
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent("""{"status":"success","data":{"resultType":"vector","result":[]}}"""),
                })
                : base.SendAsync(request, ct);
        }
    }
}
