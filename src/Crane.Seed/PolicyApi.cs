using Akka.Actor;
using Akka.Hosting;
using Crane.Actors.Policy;
using Crane.Contracts.Messages;

namespace Crane.Seed;

/// <summary>PUT/GET/DELETE /api/v1/policies/{id}: Rego modules as text/plain; ?enforcement=deny|warn|dryrun on PUT.</summary>
internal static class PolicyApi
{
    // Generous: the first write after a start pays for JIT and journal initialisation, which a loaded host stretches.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/policies", List);
        api.MapGet("/policies/{id}", Get);
        api.MapPut("/policies/{id}", Put);
        api.MapDelete("/policies/{id}", Delete);
    }

    private static bool ValidId(string id) => id.Length is > 0 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static async Task<IResult> List(ActorRegistry registry)
    {
        var policy = await registry.GetAsync<PolicySingleton>();
        var list = await policy.Ask<PolicyListView>(ListPolicies.Instance, AskTimeout);
        return Results.Ok(list.Policies.Select(p => new { id = p.Id, enforcement = p.Enforcement }));
    }

    private static async Task<IResult> Get(string id, ActorRegistry registry)
    {
        var policy = await registry.GetAsync<PolicySingleton>();
        return await policy.Ask<object>(new GetPolicy(id), AskTimeout) switch
        {
            PolicyView view => Results.Text(view.Source, "text/plain"),
            _ => Results.Json(new { error = $"policy '{id}' not found" }, statusCode: 404),
        };
    }

    private static async Task<IResult> Put(string id, HttpRequest request, ActorRegistry registry, string? enforcement)
    {
        if (!ValidId(id))
            return Results.Json(new { error = "policy id: letters, digits, '-', '_' and '.' only (1–100 characters)" }, statusCode: 400);
        var mode = Enforcement.Deny;
        if (enforcement is not null && !Enum.TryParse(enforcement, ignoreCase: true, out mode))
            return Results.Json(new { error = $"enforcement '{enforcement}' is not one of deny, warn, dryrun" }, statusCode: 400);
        using var reader = new StreamReader(request.Body);
        var source = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(source))
            return Results.Json(new { error = "the body must be a Rego module (text/plain)" }, statusCode: 400);
        var policy = await registry.GetAsync<PolicySingleton>();
        return await policy.Ask<object>(new PutPolicy(id, source, mode), AskTimeout) switch
        {
            PolicyView view => Results.Ok(new { id = view.Id, enforcement = view.Enforcement }),
            PolicyInvalid bad => Results.Json(new { error = bad.Message, file = id, line = bad.Line, column = bad.Column }, statusCode: 400),
            var other => Results.Json(new { error = $"unexpected answer {other.GetType().Name}" }, statusCode: 500),
        };
    }

    private static async Task<IResult> Delete(string id, ActorRegistry registry)
    {
        var policy = await registry.GetAsync<PolicySingleton>();
        return await policy.Ask<object>(new DeletePolicy(id), AskTimeout) switch
        {
            PolicyView view => Results.Ok(new { id = view.Id, deleted = true }),
            _ => Results.Json(new { error = $"policy '{id}' not found" }, statusCode: 404),
        };
    }
}
