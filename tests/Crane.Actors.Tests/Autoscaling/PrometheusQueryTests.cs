using System.Net;
using Crane.Actors.Autoscaling;
using Crane.Contracts.Specs;

namespace Crane.Actors.Tests.Autoscaling;

/// <summary>The PromQL per metric, the parsing of captured Prometheus 2.42 answers and their mapping to per-replica values: all pure.</summary>
public sealed class PrometheusQueryTests
{
    [Fact]
    public void Cpu_is_the_rate_of_cpu_seconds_summed_per_replica() =>
        Assert.Equal("sum by (replica) (rate(crane_container_cpu_seconds_total{workload=\"web\"}[60s]))",
            MetricQueries.Cpu("web", TimeSpan.FromMinutes(1)));

    [Fact]
    public void A_sub_second_window_renders_in_milliseconds() =>
        Assert.Equal("sum by (replica) (rate(crane_container_cpu_seconds_total{workload=\"web\"}[1500ms]))",
            MetricQueries.Cpu("web", TimeSpan.FromMilliseconds(1500)));

    [Fact]
    public void A_window_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricQueries.Cpu("web", TimeSpan.Zero));

    [Fact]
    public void Memory_is_the_largest_working_set_per_replica() =>
        Assert.Equal("max by (replica) (crane_container_memory_working_set_bytes{workload=\"web\"})", MetricQueries.Memory("web"));

    [Theory]
    [InlineData("web", "\"web\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData(@"a\b", "\"a\\\\b\"")]
    [InlineData("a\\\"", "\"a\\\\\\\"\"")]
    [InlineData("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"")]
    [InlineData("a\u0001b", "\"a\\u0001b\"")]
    [InlineData("größe", "\"größe\"")]
    public void Label_values_are_quoted_as_promql_strings(string value, string expected) =>
        Assert.Equal(expected, MetricQueries.Quote(value));

    [Fact]
    public void A_workload_name_cannot_break_out_of_the_selector() =>
        Assert.Equal("max by (replica) (crane_container_memory_working_set_bytes{workload=\"x\\\"} or vector(1) or {a=\\\"\"})",
            MetricQueries.Memory("x\"} or vector(1) or {a=\""));

    [Fact]
    public void Queries_follow_the_spec()
    {
        var window = TimeSpan.FromSeconds(30);
        Assert.Equal(MetricQueries.Cpu("web", window), MetricQueries.For(new AutoscalingSpec { Metric = "cpu" }, "web", window));
        Assert.Equal(MetricQueries.Memory("web"), MetricQueries.For(new AutoscalingSpec { Metric = "memory" }, "web", window));
        const string custom = "sum(rate(http_requests_total{workload=\"web\"}[1m])) / count(up{workload=\"web\"})";
        Assert.Equal(custom, MetricQueries.For(new AutoscalingSpec { Metric = "custom", Query = custom }, "web", window));
        Assert.Equal(custom, MetricQueries.For(MetricKind.Custom, "web", window, custom));
        Assert.Throws<ArgumentException>(() => MetricQueries.For(new AutoscalingSpec { Metric = "custom" }, "web", window));
        Assert.Throws<ArgumentException>(() => MetricQueries.For(new AutoscalingSpec { Metric = "disk" }, "web", window));
    }

    // Bodies as Prometheus 2.42 sent them.
    private const string VectorBody = """
        {"status":"success","data":{"resultType":"vector","result":[{"metric":{"replica":"web-1"},"value":[1795630841.531,"0.25"]},{"metric":{"replica":"web-2"},"value":[1795630841.531,"1e-3"]}]}}
        """;

    [Fact]
    public void A_vector_parses_into_labelled_samples()
    {
        var result = PrometheusClient.ParseResponse(HttpStatusCode.OK, VectorBody);

        Assert.Equal(QueryStatus.Ok, result.Status);
        Assert.Null(result.Error);
        Assert.Collection(result.Samples,
            s => Assert.Equal(("web-1", 0.25), (s.Labels["replica"], s.Value)),
            s => Assert.Equal(("web-2", 0.001), (s.Labels["replica"], s.Value)));
    }

    [Fact]
    public void A_vector_keeps_every_label()
    {
        const string body = """
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"127.0.0.1:19391","job":"self","replica":"w-1","workload":"w"},"value":[1795630841.495,"1"]}]}}
            """;

        var sample = Assert.Single(PrometheusClient.ParseResponse(HttpStatusCode.OK, body).Samples);

        Assert.Equal(["__name__", "instance", "job", "replica", "workload"], sample.Labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("127.0.0.1:19391", sample.Labels["instance"]);
        Assert.Equal(1, sample.Value);
    }

    [Fact]
    public void An_empty_vector_is_ok_without_samples()
    {
        var result = PrometheusClient.ParseResponse(HttpStatusCode.OK, """{"status":"success","data":{"resultType":"vector","result":[]}}""");

        Assert.Equal(QueryStatus.Ok, result.Status);
        Assert.Empty(result.Samples);
    }

    [Fact]
    public void A_scalar_is_one_sample_without_labels()
    {
        var result = PrometheusClient.ParseResponse(HttpStatusCode.OK, """{"status":"success","data":{"resultType":"scalar","result":[1795630834.692,"42.5"]}}""");

        var sample = Assert.Single(result.Samples);
        Assert.Empty(sample.Labels);
        Assert.Equal(42.5, sample.Value);
    }

    [Theory]
    [InlineData("NaN", double.NaN)]
    [InlineData("+Inf", double.PositiveInfinity)]
    [InlineData("-Inf", double.NegativeInfinity)]
    public void Special_values_parse(string text, double expected)
    {
        var scalar = PrometheusClient.ParseResponse(HttpStatusCode.OK, $$$"""{"status":"success","data":{"resultType":"scalar","result":[1795630834.715,"{{{text}}}"]}}""");
        var vector = PrometheusClient.ParseResponse(HttpStatusCode.OK,
            $$$"""{"status":"success","data":{"resultType":"vector","result":[{"metric":{"replica":"w-1"},"value":[1795630841.502,"{{{text}}}"]}]}}""");

        Assert.Equal(expected, Assert.Single(scalar.Samples).Value);
        Assert.Equal(expected, Assert.Single(vector.Samples).Value);
    }

    [Fact]
    public void A_parse_error_is_invalid_with_prometheus_text()
    {
        const string body = """{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis"}""";

        var result = PrometheusClient.ParseResponse(HttpStatusCode.BadRequest, body);

        Assert.Equal(QueryStatus.Invalid, result.Status);
        Assert.Equal("invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis", result.Error);
        Assert.Empty(result.Samples);
    }

    [Fact]
    public void An_execution_error_is_invalid_with_prometheus_text()
    {
        const string body = """{"status":"error","errorType":"execution","error":"vector cannot contain metrics with the same labelset"}""";

        var result = PrometheusClient.ParseResponse(HttpStatusCode.UnprocessableEntity, body);

        Assert.Equal(QueryStatus.Invalid, result.Status);
        Assert.Equal("vector cannot contain metrics with the same labelset", result.Error);
    }

    [Theory]
    [InlineData("matrix", """[{"metric":{"__name__":"up"},"values":[[1795630834.7,"1"]]}]""", "range vector")]
    [InlineData("string", """[1795630834.709,"str"]""", "string")]
    public void Range_vectors_and_strings_are_invalid(string type, string result, string expected)
    {
        var parsed = PrometheusClient.ParseResponse(HttpStatusCode.OK, $$$"""{"status":"success","data":{"resultType":"{{{type}}}","result":{{{result}}}}}""");

        Assert.Equal(QueryStatus.Invalid, parsed.Status);
        Assert.Contains(expected, parsed.Error);
        Assert.Contains("instant vector or a scalar", parsed.Error);
    }

    [Fact]
    public void A_native_histogram_is_invalid()
    {
        const string body = """{"status":"success","data":{"resultType":"vector","result":[{"metric":{"replica":"w-1"},"histogram":[1795630841.5,{"count":"3","sum":"1","buckets":[]}]}]}}""";

        var result = PrometheusClient.ParseResponse(HttpStatusCode.OK, body);

        Assert.Equal(QueryStatus.Invalid, result.Status);
        Assert.Contains("native histogram", result.Error);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, """{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}""", "503 timeout: query timed out")]
    [InlineData(HttpStatusCode.InternalServerError, """{"status":"error","errorType":"internal","error":"boom"}""", "500 internal: boom")]
    [InlineData(HttpStatusCode.BadGateway, "<html>bad gateway</html>", "502 with a body that is not JSON: <html>bad gateway</html>")]
    [InlineData(HttpStatusCode.NotFound, "404 page not found\n", "404 with a body that is not JSON")]
    [InlineData(HttpStatusCode.OK, """{"hello":"world"}""", "200 with no API response (no status)")]
    [InlineData(HttpStatusCode.OK, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}""", "sample value abc is not a number")]
    [InlineData(HttpStatusCode.OK, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}""", "has no value")]
    [InlineData(HttpStatusCode.OK, "", "not JSON")]
    public void Anything_else_is_unavailable(HttpStatusCode status, string body, string expected)
    {
        var result = PrometheusClient.ParseResponse(status, body);

        Assert.Equal(QueryStatus.Unavailable, result.Status);
        Assert.Contains(expected, result.Error);
    }

    private static QuerySample Sample(double value, string? replica = null, params (string Name, string Value)[] labels)
    {
        var all = labels.ToDictionary(l => l.Name, l => l.Value, StringComparer.Ordinal);
        if (replica is not null)
            all["replica"] = replica;
        return new QuerySample(all, value);
    }

    [Fact]
    public void Replica_labelled_series_give_values_per_replica()
    {
        var values = ReplicaValues.From([Sample(0.25, "web-1"), Sample(0.75, "web-2", ("workload", "web")), Sample(double.NaN, "web-3")]);

        Assert.Null(values.Error);
        Assert.Null(values.WorkloadWide);
        Assert.Equal(3, values.PerReplica.Count);
        Assert.Equal(0.25, values.For("web-1"));
        Assert.Equal(0.75, values.For("web-2"));
        Assert.Equal(double.NaN, values.For("web-3"));
        Assert.Null(values.For("web-4"));
    }

    [Fact]
    public void A_single_replica_labelled_series_is_that_replica_only()
    {
        var values = ReplicaValues.From([Sample(3, "web-1")]);

        Assert.Null(values.WorkloadWide);
        Assert.Equal(3, values.For("web-1"));
        Assert.Null(values.For("web-2"));
    }

    [Fact]
    public void A_single_value_without_replica_applies_to_every_replica()
    {
        var values = ReplicaValues.From([Sample(12.5, null, ("job", "replicas"))]);

        Assert.Null(values.Error);
        Assert.Empty(values.PerReplica);
        Assert.Equal(12.5, values.WorkloadWide);
        Assert.Equal(12.5, values.For("web-1"));
        Assert.Equal(12.5, values.For("anything"));
    }

    [Fact]
    public void A_scalar_result_is_workload_wide()
    {
        var result = PrometheusClient.ParseResponse(HttpStatusCode.OK, """{"status":"success","data":{"resultType":"scalar","result":[1795630834.692,"7"]}}""");

        Assert.Equal(7, ReplicaValues.From(result.Samples).WorkloadWide);
    }

    [Fact]
    public void An_empty_result_has_no_values()
    {
        var values = ReplicaValues.From([]);

        Assert.Null(values.Error);
        Assert.Null(values.WorkloadWide);
        Assert.Empty(values.PerReplica);
        Assert.Null(values.For("web-1"));
    }

    [Fact]
    public void Several_series_without_replica_are_an_error()
    {
        var values = ReplicaValues.From([Sample(1, null, ("job", "a")), Sample(2, null, ("job", "b"))]);

        Assert.Equal("query must return one series per replica (label replica) or a single value; it returned 2 series, 2 without a replica label", values.Error);
        Assert.Null(values.For("web-1"));
    }

    [Fact]
    public void Mixing_replica_series_with_unlabelled_ones_is_an_error()
    {
        var values = ReplicaValues.From([Sample(1, "web-1"), Sample(2)]);

        Assert.StartsWith(ReplicaValues.ShapeError, values.Error);
        Assert.Contains("1 without a replica label", values.Error);
        Assert.Null(values.For("web-1"));
    }

    [Fact]
    public void Two_series_for_one_replica_are_an_error()
    {
        var values = ReplicaValues.From([Sample(1, "web-1", ("path", "/a")), Sample(2, "web-1", ("path", "/b"))]);

        Assert.StartsWith(ReplicaValues.ShapeError, values.Error);
        Assert.Contains("several series for replica web-1", values.Error);
        Assert.Contains("sum by (replica)", values.Error);
    }
}
