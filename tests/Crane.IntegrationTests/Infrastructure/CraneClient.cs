using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Crane.IntegrationTests;

/// <summary>The HTTP API of one crane-seed.</summary>
public sealed class CraneClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="token">The bearer token every request carries (the seed's admin token); null sends none.</param>
    public CraneClient(Uri baseAddress, string? token)
    {
        // Loopback only: never let a proxy from the environment see this traffic.
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(40),
        };
        Token = string.IsNullOrEmpty(token) ? null : token;
        if (Token is not null)
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public HttpClient Http { get; }

    public string? Token { get; }

    /// <summary>The same seed as another caller: <paramref name="token"/> instead (null: none). Dispose it after use.</summary>
    public CraneClient As(string? token) => new(BaseAddress, token);

    public Uri BaseAddress => Http.BaseAddress!;

    public Task<ApiResponse> ApplyAsync(string body, string contentType = "application/yaml", bool dryRun = false) =>
        SendAsync(HttpMethod.Post, dryRun ? "/api/v1/workloads?dryRun=true" : "/api/v1/workloads", body, contentType);

    /// <summary>Applies and insists on 200/201: for tests whose subject is not the apply itself.</summary>
    public async Task<ApiResponse> ApplyOkAsync(string body)
    {
        var response = await ApplyAsync(body);
        return response.Status is HttpStatusCode.OK or HttpStatusCode.Created
            ? response
            : throw new InvalidOperationException($"apply failed: {response}\n{body}");
    }

    public async Task<WorkloadDto?> GetWorkloadAsync(string name)
    {
        var response = await SendAsync(HttpMethod.Get, $"/api/v1/workloads/{Uri.EscapeDataString(name)}");
        return response.Status switch
        {
            HttpStatusCode.OK => Deserialize<WorkloadDto>(response),
            HttpStatusCode.NotFound => null,
            _ => throw new InvalidOperationException($"GET workload {name}: {response}"),
        };
    }

    public async Task<WorkloadDto> GetExistingWorkloadAsync(string name) =>
        await GetWorkloadAsync(name) ?? throw new InvalidOperationException($"workload {name} not found");

    public Task<ApiResponse> GetWorkloadRawAsync(string name) =>
        SendAsync(HttpMethod.Get, $"/api/v1/workloads/{Uri.EscapeDataString(name)}");

    public async Task<IReadOnlyList<WorkloadDto>> ListWorkloadsAsync() =>
        Deserialize<List<WorkloadDto>>(await SendOkAsync(HttpMethod.Get, "/api/v1/workloads"));

    public Task<ApiResponse> DeleteAsync(string name) =>
        SendAsync(HttpMethod.Delete, $"/api/v1/workloads/{Uri.EscapeDataString(name)}");

    public Task<ApiResponse> ScaleAsync(string name, int replicas) =>
        ScaleRawAsync(name, $"{{\"replicas\": {replicas}}}");

    public Task<ApiResponse> ScaleRawAsync(string name, string body) =>
        SendAsync(HttpMethod.Post, $"/api/v1/workloads/{Uri.EscapeDataString(name)}/scale", body, "application/json");

    public Task<ApiResponse> RestartAsync(string name) =>
        SendAsync(HttpMethod.Post, $"/api/v1/workloads/{Uri.EscapeDataString(name)}/restart", "", "application/json");

    public async Task<IReadOnlyList<EventDto>> EventsAsync(string query = "") =>
        Deserialize<List<EventDto>>(await SendOkAsync(HttpMethod.Get, "/api/v1/events" + query));

    public async Task<IReadOnlyList<NodeDto>> NodesAsync() =>
        Deserialize<List<NodeDto>>(await SendOkAsync(HttpMethod.Get, "/api/v1/nodes"));

    public async Task<JsonElement> ClusterAsync() => (await SendOkAsync(HttpMethod.Get, "/api/v1/cluster")).Json;

    public async Task<string> MetricsAsync() => (await SendOkAsync(HttpMethod.Get, "/metrics")).Body;

    /// <param name="headers">More request headers, e.g. Origin or Host as a browser would send them.</param>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? body = null, string? contentType = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                request.Headers.Host = value;
            else
                request.Headers.Add(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json") { CharSet = "utf-8" };
            // As curl does for large bodies: the server may refuse (413) before the upload.
            request.Headers.ExpectContinue = body.Length > 1024 * 1024;
        }

        using var response = await Http.SendAsync(request);
        return new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<ApiResponse> SendOkAsync(HttpMethod method, string path)
    {
        var response = await SendAsync(method, path);
        return response.Status == HttpStatusCode.OK ? response : throw new InvalidOperationException($"{method} {path}: {response}");
    }

    private static T Deserialize<T>(ApiResponse response) =>
        JsonSerializer.Deserialize<T>(response.Body, Json) ?? throw new InvalidOperationException($"empty JSON body: {response}");

    public void Dispose() => Http.Dispose();
}
