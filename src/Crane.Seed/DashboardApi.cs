using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Crane.Actors.Events;
using Crane.Actors.Workloads;
using Crane.Contracts.Api;
using Microsoft.Extensions.FileProviders;

namespace Crane.Seed;

/// <summary>
/// CraneUI at <c>/</c>: static files embedded in the assembly (so the build output, a publish and the image serve the same
/// files whatever the working directory), and the one endpoint the dashboard adds, "break a replica" for workshops.
/// </summary>
internal static class DashboardApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The demo app's switches (images/demo/README.md) by the name the break endpoint takes.</summary>
    private static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["health"] = "/fail/health",
        ["ready"] = "/fail/ready",
        ["metrics"] = "/fail/metrics",
        ["slow"] = "/slow?ms=1000",
        ["recover"] = "/recover",
    };

    // Replicas publish on loopback (DESIGN §8); a proxy must never see these requests.
    private static readonly HttpClient ReplicaClient = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Serves wwwroot: <c>/</c> is index.html; no-cache so a new seed's files are picked up (ETag revalidation).</summary>
    public static void UseDashboard(this WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(DashboardApi).Assembly, "wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    public static void Map(RouteGroupBuilder api) =>
        api.MapPost("/workloads/{name}/replicas/{id}/break", Break);

    /// <summary>Body <c>{"switch": "health|ready|metrics|slow|recover"}</c>: flips that switch of the demo app in one replica.</summary>
    private static async Task<IResult> Break(string name, string id, HttpRequest request, ActorRegistry registry, EventPublisher events)
    {
        string? choice;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            choice = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("switch", out var s) &&
                    s.ValueKind == JsonValueKind.String
                ? s.GetString()
                : null;
        }
        catch (JsonException ex)
        {
            return Error(400, $"body is not valid JSON: {ex.Message}");
        }

        if (choice is null || !Switches.TryGetValue(choice, out var path))
            return Error(400, $"body must be {{\"switch\": s}} with s one of {string.Join(", ", Switches.Keys)}");
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");

        var region = await registry.GetAsync<WorkloadRegion>();
        if (await region.Ask<object>(new Crane.Contracts.Messages.GetWorkload(name), AskTimeout) is not WorkloadView workload)
            return Error(404, $"workload '{name}' not found");
        if (workload.Replicas.FirstOrDefault(r => r.Id == id) is not { } replica)
            return Error(404, $"workload '{name}' has no replica '{id}' (replicas: {string.Join(", ", workload.Replicas.Select(r => r.Id))})");
        if (replica.HostPort is not { } port)
            return Error(409, $"replica '{id}' has no published port (state {replica.State}), so there is nothing to break");

        int status;
        string answer;
        try
        {
            using var response = await ReplicaClient.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), request.HttpContext.RequestAborted);
            status = (int)response.StatusCode;
            answer = (await response.Content.ReadAsStringAsync(request.HttpContext.RequestAborted)).Trim();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return Error(502, $"replica '{id}' did not answer on 127.0.0.1:{port}{path}: {ex.Message}");
        }

        if (status is < 200 or > 299)
            return Error(502, $"replica '{id}' answered {status} on {path} (is it the demo app?): {answer}");

        var message = choice == "recover"
            ? $"replica {id}: demo switches cleared from the dashboard"
            : $"replica {id}: demo switch '{choice}' set from the dashboard ({path})";
        events.Publish(choice == "recover" ? "Normal" : "Warning", choice == "recover" ? "FaultCleared" : "FaultInjected", "Workload", name,
            replica.Node, message, new Dictionary<string, string> { ["replica"] = id, ["switch"] = choice });
        return Results.Ok(new { workload = name, replica = id, @switch = choice, path, status, answer });
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
