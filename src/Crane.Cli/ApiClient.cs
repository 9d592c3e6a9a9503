using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crane.Cli;

/// <summary>One answer of the API: status, body text and its media type.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string Body, string? MediaType)
{
    /// <summary>True for 2xx.</summary>
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The body as JSON; a body that is not JSON is an unexpected answer (exit code 1).</summary>
    public JsonNode Json()
    {
        try
        {
            return JsonNode.Parse(Body) ?? throw new ApiException(Status, "the server answered an empty JSON document", null);
        }
        catch (JsonException ex)
        {
            throw new ApiException(Status, $"the server's answer is not JSON: {ex.Message}", null);
        }
    }
}

/// <summary>The server answered with an error status (exit code 1). <see cref="Body"/> is its JSON error document, when it sent one.</summary>
public sealed class ApiException(HttpStatusCode status, string message, JsonObject? body) : Exception(message)
{
    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>The error document, e.g. <c>{"error", "field", "line", "column"}</c> or <c>{"error", "violations"}</c>.</summary>
    public JsonObject? Body { get; } = body;

    /// <summary>An error from a non-2xx answer: its <c>error</c> field, else the status and a bit of the body.</summary>
    public static ApiException From(HttpMethod method, Uri url, ApiResponse response)
    {
        JsonObject? body = null;
        if (response.MediaType is "application/json" || response.Body.TrimStart().StartsWith('{'))
        {
            try
            {
                body = JsonNode.Parse(response.Body) as JsonObject;
            }
            catch (JsonException)
            {
            }
        }

        if (body?["error"] is JsonValue error && error.TryGetValue<string>(out var message))
            return new ApiException(response.Status, message, body);
        var text = response.Body.Trim();
        var detail = text.Length == 0 ? "" : ": " + (text.Length > 300 ? text[..300] + "…" : text);
        return new ApiException(response.Status, $"{method} {url} answered {(int)response.Status} {response.Status}{detail}", body);
    }
}

/// <summary>
/// The HTTP API of a Crane control plane (DESIGN.md §7). Every failure becomes one of three exceptions:
/// <see cref="ApiException"/> (the server said no), <see cref="ServerUnreachableException"/> (no answer),
/// <see cref="UsageException"/> (a bad --server URL).
/// </summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client of <paramref name="server"/>; each request may take up to <paramref name="timeout"/>.</summary>
    public ApiClient(Uri server, TimeSpan timeout, string? token = null)
    {
        Server = server;
        Timeout = timeout;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(Math.Min(10, timeout.TotalSeconds)) })
        {
            BaseAddress = server,
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("crane-cli/1.0");
        if (!string.IsNullOrWhiteSpace(token))
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Trim());
    }

    /// <summary>The --server URL, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Server { get; }

    /// <summary>How long one request may take (not a watch, which may last forever).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Parses a --server value: an absolute http(s) URL; anything else is a usage error.</summary>
    public static Uri ParseServer(string value)
    {
        var text = value.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
            text = "http://" + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
            throw new UsageException($"--server '{value}' is not an http(s) URL, e.g. http://127.0.0.1:8080");
        // Paths are relative to the server root: a trailing slash keeps a base path such as http://host/crane/.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    /// <summary>GET that must succeed; returns the JSON body.</summary>
    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken cancel) =>
        (await SendOkAsync(HttpMethod.Get, path, null, cancel)).Json();

    /// <summary>Sends a request that must succeed (2xx); a non-2xx answer throws <see cref="ApiException"/>.</summary>
    public async Task<ApiResponse> SendOkAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancel)
    {
        var response = await SendAsync(method, path, content, cancel);
        return response.IsSuccess ? response : throw ApiException.From(method, Url(path), response);
    }

    /// <summary>Sends a request and returns whatever the server answered; only transport failures throw.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, Url(path)) { Content = content };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(Timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            return new ApiResponse(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new ServerUnreachableException(Server, $"no answer to {method} {Url(path).AbsolutePath} within {Timeout.TotalSeconds:0.#}s");
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex);
        }
    }

    /// <summary>Opens a Server-Sent Events stream (no deadline once the headers arrived); the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, string? lastEventId, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
            request.Headers.Add("Last-Event-ID", lastEventId);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new ServerUnreachableException(Server, $"no answer to GET {Url(path).AbsolutePath} within {Timeout.TotalSeconds:0.#}s");
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex);
        }

        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancel);
            throw ApiException.From(HttpMethod.Get, Url(path), new ApiResponse(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType));
        }
    }

    /// <summary>A UTF-8 body with the given media type.</summary>
    public static HttpContent Text(string body, string mediaType) =>
        new StringContent(body, Encoding.UTF8, mediaType);

    /// <summary>A JSON body.</summary>
    public static HttpContent Json(JsonNode body) => Text(body.ToJsonString(), "application/json");

    /// <summary>A path segment, escaped.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>The error a non-2xx <paramref name="response"/> to <paramref name="method"/> <paramref name="path"/> stands for.</summary>
    public ApiException Error(HttpMethod method, string path, ApiResponse response) => ApiException.From(method, Url(path), response);

    private Uri Url(string path) => new(Server, path.TrimStart('/'));

    private ServerUnreachableException Unreachable(HttpRequestException ex)
    {
        var reason = ex.InnerException switch
        {
            SocketException socket => socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                SocketError.TimedOut => "connection timed out",
                _ => socket.Message,
            },
            { } inner => inner.Message,
            null => ex.Message,
        };
        return new ServerUnreachableException(Server, reason, ex);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
