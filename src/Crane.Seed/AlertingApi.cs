using Akka.Actor;
using Akka.Hosting;
using Crane.Actors.Alerts;
using Crane.Actors.Monitoring;
using Crane.Contracts.Messages;

namespace Crane.Seed;

/// <summary>POST /api/v1/alerts (Alertmanager's webhook, payload version 4) and PUT/GET /api/v1/rules (Prometheus alerting rules).</summary>
internal static class AlertingApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Rule files of a few hundred rules are tens of KiB; anything near this is a mistake.</summary>
    private const int MaxRulesBytes = 1 << 20;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/alerts", Alerts);
        api.MapGet("/rules", GetRules);
        api.MapPut("/rules", PutRules);
    }

    private static async Task<IResult> Alerts(HttpRequest request, ActorRegistry registry)
    {
        if (await ReadBody(request, AlertPayload.MaxBodyBytes) is not { } body)
            return Results.Json(new { error = $"body larger than {AlertPayload.MaxBodyBytes} bytes" }, statusCode: 413);
        var parsed = AlertPayload.Parse(body);
        if (!parsed.Ok)
            return Results.Json(new { error = $"not an Alertmanager webhook payload: {parsed.Error}" }, statusCode: 400);
        var receiver = await registry.GetAsync<AlertReceiverSingleton>();
        var handled = await receiver.Ask<AlertsHandled>(new ReceiveAlerts(body), AskTimeout);
        return handled.Error is { } error
            ? Results.Json(new { error = $"not an Alertmanager webhook payload: {error}" }, statusCode: 400)
            : Results.Ok(new { alerts = handled.Alerts });
    }

    private static async Task<IResult> GetRules(ActorRegistry registry)
    {
        if (!registry.TryGet<PrometheusSingleton>(out var prometheus))
            return NoPrometheus();
        var view = await prometheus.Ask<RulesView>(Contracts.Messages.GetRules.Instance, AskTimeout);
        return Results.Text(view.Yaml, "application/yaml");
    }

    private static async Task<IResult> PutRules(HttpRequest request, ActorRegistry registry)
    {
        if (!registry.TryGet<PrometheusSingleton>(out var prometheus))
            return NoPrometheus();
        if (await ReadBody(request, MaxRulesBytes) is not { } yaml)
            return Results.Json(new { error = $"rules larger than {MaxRulesBytes} bytes" }, statusCode: 413);
        if (string.IsNullOrWhiteSpace(yaml))
            return Results.Json(new { error = "empty body: send a Prometheus rule file (groups: [...])" }, statusCode: 400);
        return await prometheus.Ask<object>(new PutRules(yaml), AskTimeout) switch
        {
            RulesView view => Results.Ok(new { reloaded = view.Reloaded, note = view.Note }),
            RulesRejected rejected => Results.Json(new { error = $"rules rejected by promtool, the old ones stay: {rejected.Error}" }, statusCode: 400),
            var other => Results.Json(new { error = $"unexpected answer {other.GetType().Name}" }, statusCode: 500),
        };
    }

    private static IResult NoPrometheus() =>
        Results.Json(new { error = "no Prometheus is configured (--prometheus-url none), so there are no rules to manage" }, statusCode: 404);

    /// <summary>The body as UTF-8 text, or null when it is longer than <paramref name="limit"/> bytes.</summary>
    private static async Task<string?> ReadBody(HttpRequest request, int limit)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
