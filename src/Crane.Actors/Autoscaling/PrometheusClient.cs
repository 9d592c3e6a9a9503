using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Crane.Actors.Autoscaling;

/// <summary>How an instant query went: Ok with samples; Invalid when Prometheus rejected the query (or it returns no instant values); Unavailable when there was no usable answer.</summary>
public enum QueryStatus { Ok, Invalid, Unavailable }

/// <summary>One series of an instant query: its labels (none for a scalar) and its value, NaN and ±Inf included.</summary>
public sealed record QuerySample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// An instant query's outcome. Invalid carries Prometheus' own error text (400 bad_data for a parse error, 422 execution
/// for an evaluation error) or says the query returned a range vector or string; Unavailable covers an unreachable
/// Prometheus, a timeout, 5xx and answers that are not Prometheus API responses.
/// </summary>
public sealed record QueryResult(QueryStatus Status, IReadOnlyList<QuerySample> Samples, string? Error)
{
    public static QueryResult Ok(IReadOnlyList<QuerySample> samples) => new(QueryStatus.Ok, samples, null);

    public static QueryResult Invalid(string error) => new(QueryStatus.Invalid, [], error);

    public static QueryResult Unavailable(string error) => new(QueryStatus.Unavailable, [], error);
}

/// <summary>Prometheus could not be asked, so a query could be neither accepted nor rejected.</summary>
public sealed class PrometheusUnavailableException(string message) : Exception(message);

/// <summary>
/// Instant queries against Prometheus' HTTP API (<c>/api/v1/query</c>). The HttpClient belongs to the caller, whose
/// Timeout bounds every query; a short query goes as a GET, a long one as a POST form.
/// </summary>
public sealed class PrometheusClient
{
    // Go accepts 1 MB of request line and headers, proxies in between far less.
    internal const int MaxGetQueryLength = 2048;

    private readonly HttpClient _http;
    private readonly Uri _queryUri;

    public PrometheusClient(HttpClient http, Uri baseUri)
    {
        _http = http;
        BaseUri = baseUri;
        var directory = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        _queryUri = new Uri(directory, "api/v1/query");
    }

    public Uri BaseUri { get; }

    /// <summary>Evaluates promql now. Only ct's cancellation throws; every failure to get an answer is Unavailable.</summary>
    public async Task<QueryResult> QueryAsync(string promql, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(promql);
        using var request = Request(promql);
        try
        {
            using var response = await _http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return ParseResponse(response.StatusCode, body);
        }
        catch (HttpRequestException e)
        {
            return QueryResult.Unavailable($"cannot reach Prometheus at {BaseUri}: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return QueryResult.Unavailable(string.Create(CultureInfo.InvariantCulture,
                $"Prometheus at {BaseUri} did not answer within {_http.Timeout.TotalSeconds:0.###}s"));
        }
    }

    /// <summary>
    /// For apply-time checks: null when Prometheus accepts promql as an instant query, else its error text (400, 422, or
    /// a range vector or string result). Throws <see cref="PrometheusUnavailableException"/> when Prometheus cannot be
    /// asked, so that the caller decides whether an unchecked query may pass.
    /// </summary>
    public async Task<string?> ValidateAsync(string promql, CancellationToken ct)
    {
        var result = await QueryAsync(promql, ct);
        return result.Status switch
        {
            QueryStatus.Ok => null,
            QueryStatus.Invalid => result.Error,
            _ => throw new PrometheusUnavailableException(result.Error ?? $"Prometheus at {BaseUri} is unavailable"),
        };
    }

    /// <summary>An /api/v1/query answer as a result: pure, so captured bodies are tested without HTTP.</summary>
    public static QueryResult ParseResponse(HttpStatusCode status, string body)
    {
        var code = (int)status;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var outcome = Text(root, "status");
            if (outcome == "error")
            {
                var error = Text(root, "error");
                var type = root.TryGetProperty("errorType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() + ": " : "";
                return code is 400 or 422
                    ? QueryResult.Invalid(error)
                    : QueryResult.Unavailable(string.Create(CultureInfo.InvariantCulture, $"Prometheus answered {code} {type}{error}"));
            }

            if (outcome != "success" || code is < 200 or > 299)
                throw new FormatException($"status {outcome}");
            var data = Property(root, "data");
            var result = Property(data, "result");
            return Text(data, "resultType") switch
            {
                "vector" => Vector(result),
                "scalar" => QueryResult.Ok([new QuerySample(new Dictionary<string, string>(StringComparer.Ordinal), Value(result))]),
                "matrix" => QueryResult.Invalid("the query returns a range vector; the autoscaler needs an instant vector or a scalar, e.g. rate(x[1m]) rather than x[1m]"),
                "string" => QueryResult.Invalid("the query returns a string; the autoscaler needs an instant vector or a scalar"),
                var other => throw new FormatException($"unknown resultType {other}"),
            };
        }
        catch (JsonException)
        {
            return QueryResult.Unavailable(string.Create(CultureInfo.InvariantCulture, $"Prometheus answered {code} with a body that is not JSON: {Excerpt(body)}"));
        }
        catch (FormatException e)
        {
            return QueryResult.Unavailable(string.Create(CultureInfo.InvariantCulture, $"Prometheus answered {code} with no API response ({e.Message}): {Excerpt(body)}"));
        }
    }

    private HttpRequestMessage Request(string promql)
    {
        var encoded = Uri.EscapeDataString(promql);
        if (encoded.Length <= MaxGetQueryLength)
            return new HttpRequestMessage(HttpMethod.Get, new UriBuilder(_queryUri) { Query = "query=" + encoded }.Uri);
        return new HttpRequestMessage(HttpMethod.Post, _queryUri)
        {
            Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", promql)]),
        };
    }

    private static QueryResult Vector(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Array)
            throw new FormatException("result is not an array");
        var samples = new List<QuerySample>(result.GetArrayLength());
        foreach (var series in result.EnumerateArray())
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var metric = Property(series, "metric");
            if (metric.ValueKind != JsonValueKind.Object)
                throw new FormatException("metric is not an object");
            foreach (var label in metric.EnumerateObject())
                labels[label.Name] = label.Value.ValueKind == JsonValueKind.String ? label.Value.GetString()! : throw new FormatException($"label {label.Name} is not a string");
            if (series.TryGetProperty("value", out var value))
                samples.Add(new QuerySample(labels, Value(value)));
            else if (series.TryGetProperty("histogram", out _))
                return QueryResult.Invalid($"series {Render(labels)} is a native histogram; the autoscaler needs numbers, e.g. histogram_quantile(0.9, ...)");
            else
                throw new FormatException($"series {Render(labels)} has no value");
        }

        return QueryResult.Ok(samples);
    }

    // [unix seconds, "value"], the value a string because JSON has no NaN or Inf.
    private static double Value(JsonElement pair)
    {
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[1].ValueKind != JsonValueKind.String)
            throw new FormatException($"sample {pair.GetRawText()} is not [time, \"value\"]");
        var text = pair[1].GetString()!;
        return text switch
        {
            "NaN" => double.NaN,
            "+Inf" or "Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new FormatException($"sample value {text} is not a number"),
        };
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new FormatException($"no {name}");

    private static string Text(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw new FormatException($"{name} is not a string");

    private static string Render(IReadOnlyDictionary<string, string> labels) =>
        "{" + string.Join(", ", labels.Select(l => $"{l.Key}={MetricQueries.Quote(l.Value)}")) + "}";

    private static string Excerpt(string body)
    {
        var trimmed = body.Trim();
        return trimmed.Length > 200 ? trimmed[..200] + "…" : trimmed;
    }
}
