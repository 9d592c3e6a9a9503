using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Crane.Actors.Events;
using Crane.Actors.Hosting;
using Crane.Actors.Policy;
using Crane.Actors.Scheduling;
using Crane.Actors.Workloads;
using Crane.Contracts.Api;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Scheduling;

namespace Crane.Seed;

internal static class CraneApi
{
    // Generous: the first write after a start pays for JIT and journal initialisation, which a loaded host stretches.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void MapCraneApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapPost("/workloads", Apply);
        api.MapGet("/workloads", ListWorkloads);
        api.MapGet("/workloads/{name}", GetWorkload);
        api.MapDelete("/workloads/{name}", DeleteWorkload);
        api.MapPost("/workloads/{name}/scale", Scale);
        api.MapPost("/workloads/{name}/restart", Restart);
        api.MapPost("/workloads/{name}/rebalance", Rebalance);
        api.MapGet("/nodes", Nodes);
        api.MapGet("/nodes/{name}", Node);
        PolicyApi.Map(api);
        AlertingApi.Map(api);
        api.MapPost("/nodes/{name}/cordon", (string name, ActorRegistry registry) => NodeAction(name, Crane.Contracts.Messages.NodeAction.Cordon, registry));
        api.MapPost("/nodes/{name}/uncordon", (string name, ActorRegistry registry) => NodeAction(name, Crane.Contracts.Messages.NodeAction.Uncordon, registry));
        api.MapPost("/nodes/{name}/drain", (string name, ActorRegistry registry) => NodeAction(name, Crane.Contracts.Messages.NodeAction.Drain, registry));
        api.MapGet("/cluster", ClusterView.Get);
        api.MapGet("/events", Events);
        api.MapGet("/events/stream", EventStream.Serve);
        // Lowest precedence: only paths no endpoint above matches, so API clients always get a JSON error.
        app.Map("/api/{**rest}", (HttpRequest request) => Error(404, $"no API endpoint {request.Method} {request.Path}"));
        app.MapGet("/healthz", async (Akka.Hosting.ActorRegistry registry, CancellationToken cancel) =>
        {
            var (status, body) = await LocalActorHealth.AnswerAsync(registry, cancel);
            return Results.Json(body, statusCode: status);
        });
        app.MapGet("/readyz", Ready);
        DashboardApi.Map(api); // "/" itself is the dashboard's index.html, served by app.UseDashboard()
    }

    private static IResult Error(int status, string message, object? extra = null) =>
        Results.Json(extra ?? new { error = message }, statusCode: status);

    private static async Task<IResult> Apply(HttpRequest request, ActorRegistry registry, ActorSystem system, StrategyRegistry strategies, CraneOptions options,
        PrometheusEndpoint prometheus, bool? dryRun)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        var parsed = SpecParser.Parse(body);
        if (!parsed.Ok)
        {
            var e = parsed.Error!;
            return Results.Json(new { error = e.Message, line = e.Line, column = e.Column, field = e.Field }, statusCode: 400);
        }

        var spec = parsed.Spec!;
        if (spec.Strategy is { } strategy && !strategies.TryGet(strategy, out _))
        {
            return Results.Json(new
            {
                error = $"unknown strategy '{strategy}'; registered: {string.Join(", ", strategies.Names.Order())}",
                field = "strategy",
            }, statusCode: 400);
        }

        var queryWarning = default(string);
        if (spec.Autoscaling?.Query is { } query && prometheus.Client is { } client)
        {
            try
            {
                if (await client.ValidateAsync(query, request.HttpContext.RequestAborted) is { } invalid)
                    return Results.Json(new { error = $"autoscaling.query is not valid PromQL: {invalid}", field = "autoscaling.query" }, statusCode: 400);
            }
            catch (Crane.Actors.Autoscaling.PrometheusUnavailableException ex)
            {
                queryWarning = $"autoscaling.query was not validated: {ex.Message}";
            }
        }

        var region = await registry.GetAsync<WorkloadRegion>();
        var exists = await region.Ask<object>(new Crane.Contracts.Messages.GetWorkload(spec.Name), AskTimeout) is WorkloadView;
        if (!exists && (await WorkloadNames(system, region)).Count >= options.MaxWorkloads)
            return Error(409, $"this cluster already has {options.MaxWorkloads} workloads, the most --max-workloads allows; delete one first");
        // The caller is whoever the bearer token names; never a header the caller writes itself.
        var user = Security.ApiGuard.Principal(request.HttpContext)?.Name ?? "anonymous";
        var policy = await registry.GetAsync<PolicySingleton>();
        var decision = await policy.Ask<AdmissionDecision>(new EvaluateAdmission(SpecJson.Serialize(spec), exists ? "update" : "create", user), AskTimeout);
        var events = request.HttpContext.RequestServices.GetRequiredService<EventPublisher>();
        if (!decision.Available)
        {
            if (options.PolicyFailure != "open")
                return Error(503, $"admission policy could not be evaluated, so nothing was applied (fail closed; --policy-failure open admits instead): {decision.Error}");
            events.Warning("PolicyUnavailable", "Workload", spec.Name, null, $"admission policy could not answer ({decision.Error}); admitted because --policy-failure open");
        }

        var warnings = decision.Warnings.Select(w => $"{w.Policy}: {w.Message}").ToList();
        if (queryWarning is not null)
            warnings.Add(queryWarning);
        var violations = decision.Violations.Select(v => new { policy = v.Policy, message = v.Message }).ToList();
        if (decision.DryRun.Count > 0)
            events.Normal("PolicyDryRun", "Workload", spec.Name, null, string.Join("; ", decision.DryRun.Select(v => $"{v.Policy}: {v.Message}")));
        if (violations.Count > 0)
        {
            events.Warning("PolicyDenied", "Workload", spec.Name, null, string.Join("; ", violations.Select(v => $"{v.policy}: {v.message}")));
            return Results.Json(new { error = $"denied by policy: {string.Join("; ", violations.Select(v => v.message))}", violations, warnings }, statusCode: 403);
        }

        if (dryRun == true)
            return Results.Ok(new { name = spec.Name, dryRun = true, operation = exists ? "update" : "create", spec = SpecSecrets.Redact(spec), warnings });

        var accepted = await region.Ask<ApplyAccepted>(new ApplyWorkload(spec), AskTimeout);
        var result = new { name = accepted.Workload, generation = accepted.Generation, created = accepted.Created, changed = accepted.Changed, spec = SpecSecrets.Redact(spec), warnings };
        return accepted.Created ? Results.Created($"/api/v1/workloads/{spec.Name}", result) : Results.Ok(result);
    }

    private static async Task<IResult> GetWorkload(string name, ActorRegistry registry, LoadBalancerAddress lb)
    {
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");
        var region = await registry.GetAsync<WorkloadRegion>();
        return await region.Ask<object>(new Crane.Contracts.Messages.GetWorkload(name), AskTimeout) switch
        {
            WorkloadView view => Results.Ok(WithLoadBalancer(view, lb)),
            _ => Error(404, $"workload '{name}' not found"),
        };
    }

    /// <summary>A workload as the API shows it: secret env values redacted, the load balancer's address added.</summary>
    private static WorkloadView WithLoadBalancer(WorkloadView view, LoadBalancerAddress lb) =>
        view with
        {
            Spec = SpecSecrets.Redact(view.Spec),
            LoadBalancer = view.Spec.Port is null ? view.LoadBalancer : new LoadBalancerView($"http://{lb.Host}:{lb.Port}/", view.Name, $"/{view.Name}/",
                view.Replicas.Count(r => r.Ready)),
        };

    private static async Task<IResult> ListWorkloads(ActorRegistry registry, ActorSystem system, LoadBalancerAddress lb)
    {
        var region = await registry.GetAsync<WorkloadRegion>();
        var names = await WorkloadNames(system, region);
        var views = await Task.WhenAll(names.Select(n => region.Ask<object>(new Crane.Contracts.Messages.GetWorkload(n), AskTimeout)));
        return Results.Ok(views.OfType<WorkloadView>().OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => WithLoadBalancer(v, lb)).ToList());
    }

    /// <summary>Entity ids of every workload region in the cluster.</summary>
    internal static async Task<IReadOnlyList<string>> WorkloadNames(ActorSystem system, IActorRef region)
    {
        var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, AskTimeout);
        var states = await Task.WhenAll(regions.Regions.Select(address =>
            system.ActorSelection($"{address}/system/sharding/workload").Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout)));
        return states.SelectMany(s => s.Shards).SelectMany(s => s.EntityIds).Distinct().ToList();
    }

    private static async Task<IResult> DeleteWorkload(string name, ActorRegistry registry)
    {
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");
        var region = await registry.GetAsync<WorkloadRegion>();
        return await region.Ask<object>(new Crane.Contracts.Messages.DeleteWorkload(name), AskTimeout) switch
        {
            WorkloadAck => Results.Ok(new { name, deleted = true }),
            _ => Error(404, $"workload '{name}' not found"),
        };
    }

    private static async Task<IResult> Scale(string name, HttpRequest request, ActorRegistry registry)
    {
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");
        int replicas;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("replicas", out var r) ||
                r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out replicas))
                return Error(400, "body must be {\"replicas\": n} with an integer n");
            if (doc.RootElement.EnumerateObject().Any(p => p.Name != "replicas"))
                return Error(400, "unknown field in body; only \"replicas\" is allowed");
        }
        catch (JsonException ex)
        {
            return Error(400, $"body is not valid JSON: {ex.Message}");
        }

        if (replicas is < 0 or > SpecLimits.MaxReplicas)
            return Error(400, $"replicas must be between 0 and {SpecLimits.MaxReplicas}");
        var region = await registry.GetAsync<WorkloadRegion>();
        if (await region.Ask<object>(new Crane.Contracts.Messages.GetWorkload(name), AskTimeout) is not WorkloadView current)
            return Error(404, $"workload '{name}' not found");

        // The scaling policy bounds manual scaling as it bounds the autoscaler; an unavailable engine keeps the request.
        var policy = await registry.GetAsync<PolicySingleton>();
        var decision = await policy.Ask<ScalingDecision>(new EvaluateScaling(name, SpecJson.Serialize(current.Spec), current.DesiredReplicas, replicas), AskTimeout);
        var allowed = decision.Available ? decision.Allowed : replicas;
        var events = request.HttpContext.RequestServices.GetRequiredService<EventPublisher>();
        if (!decision.Available)
        {
            events.Warning("PolicyUnavailable", "Workload", name, null,
                $"scaling policy could not answer ({decision.Error}); scaling to the requested {replicas}");
        }
        else if (allowed != replicas)
        {
            events.Warning("ScalingLimited", "Workload", name, null,
                $"scale {current.DesiredReplicas} → {replicas} limited to {allowed} by {string.Join("; ", decision.Reasons)}");
        }

        return await region.Ask<object>(new ScaleWorkload(name, allowed), AskTimeout) switch
        {
            WorkloadAck ack => Results.Ok(new { name, replicas = allowed, requested = replicas, limitedBy = decision.Reasons, generation = ack.Generation }),
            _ => Error(404, $"workload '{name}' not found"),
        };
    }

    private static async Task<IResult> Restart(string name, ActorRegistry registry)
    {
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");
        var region = await registry.GetAsync<WorkloadRegion>();
        return await region.Ask<object>(new RestartWorkload(name), AskTimeout) switch
        {
            WorkloadAck ack => Results.Ok(new { name, generation = ack.Generation }),
            _ => Error(404, $"workload '{name}' not found"),
        };
    }

    private static async Task<IResult> Rebalance(string name, ActorRegistry registry)
    {
        if (!SpecNames.IsValid(name))
            return Error(404, $"workload '{name}' not found");
        var region = await registry.GetAsync<WorkloadRegion>();
        return await region.Ask<object>(new RebalanceWorkload(name), AskTimeout) switch
        {
            WorkloadAck ack => Results.Ok(new { name, generation = ack.Generation, rebalancing = true }),
            _ => Error(404, $"workload '{name}' not found"),
        };
    }

    private static async Task<IResult> NodeAction(string name, NodeAction action, ActorRegistry registry)
    {
        var scheduler = await registry.GetAsync<SchedulerSingleton>();
        return await scheduler.Ask<object>(new SetNodeSchedulable(name, action), AskTimeout) switch
        {
            NodeView view => Results.Ok(view),
            _ => Error(404, $"node '{name}' not found"),
        };
    }

    private static async Task<IResult> Nodes(ActorRegistry registry)
    {
        var scheduler = await registry.GetAsync<SchedulerSingleton>();
        return Results.Ok((await scheduler.Ask<NodeList>(GetNodes.Instance, AskTimeout)).Nodes);
    }

    private static async Task<IResult> Node(string name, ActorRegistry registry)
    {
        var scheduler = await registry.GetAsync<SchedulerSingleton>();
        var node = (await scheduler.Ask<NodeList>(GetNodes.Instance, AskTimeout)).Nodes.FirstOrDefault(n => n.Name == name);
        return node is null ? Error(404, $"node '{name}' not found") : Results.Ok(node);
    }

    private static async Task<IResult> Events(HttpRequest request, ActorRegistry registry)
    {
        var filter = EventQuery.Parse(request.Query, out var error);
        if (filter is null)
            return Error(400, error!);
        var limit = EventQuery.Limit(request.Query, out error);
        if (error is not null)
            return Error(400, error);
        var log = await registry.GetAsync<EventLogActor>();
        var events = await log.Ask<List<CraneEvent>>(new QueryEvents(filter), AskTimeout);
        return Results.Ok(limit is { } n && events.Count > n ? events[^n..] : events);
    }

    /// <summary>Ready once this member is Up and the control plane answers: scheduler, policy singleton and shard coordinator.</summary>
    private static async Task<IResult> Ready(ActorSystem system, ActorRegistry registry)
    {
        var cluster = Cluster.Get(system);
        if (cluster.SelfMember.Status != MemberStatus.Up)
            return Error(503, $"cluster member is {cluster.SelfMember.Status}");
        var timeout = TimeSpan.FromSeconds(2);
        try
        {
            await (await registry.GetAsync<SchedulerSingleton>()).Ask<NodeList>(GetNodes.Instance, timeout);
            await (await registry.GetAsync<PolicySingleton>()).Ask<PolicyListView>(ListPolicies.Instance, timeout);
            await (await registry.GetAsync<WorkloadRegion>()).Ask<CurrentRegions>(GetCurrentRegions.Instance, timeout);
        }
        catch (AskTimeoutException)
        {
            return Error(503, "the control plane is starting (scheduler, policy or sharding coordinator not answering yet)");
        }

        return Results.Ok(new { status = "ready" });
    }
}

internal static class EventQuery
{
    public static EventFilter? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        DateTimeOffset? since = null;
        if (query.TryGetValue("since", out var s) && !string.IsNullOrEmpty(s))
        {
            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                since = t;
            else if (Ago(s!) is { } ago)
                since = DateTimeOffset.UtcNow - ago;
            else
            {
                error = $"since: '{s}' is neither a timestamp (ISO 8601) nor a duration (90s, 5m, 2h, 1d or hh:mm:ss)";
                return null;
            }
        }

        string? Get(string key) => query.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;
        return new EventFilter(since, null, Get("workload"), Get("node"), Get("type"), Get("reason"));
    }

    /// <summary>?limit=N keeps the newest N matching events (still oldest first); null when absent, an error when not 1..10000.</summary>
    public static int? Limit(IQueryCollection query, out string? error)
    {
        error = null;
        if (!query.TryGetValue("limit", out var l) || string.IsNullOrEmpty(l))
            return null;
        if (int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10_000)
            return n;
        error = $"limit: '{l}' is not a whole number from 1 to 10000";
        return null;
    }

    private static TimeSpan? Ago(string text)
    {
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
            return span;
        if (text.Length < 2 || !long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
            return null;
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => null,
        };
    }
}

internal static class EventStream
{
    /// <summary>
    /// Server-Sent Events: replays the log (after Last-Event-ID when given), then follows it live. The log and its ids
    /// survive a restart of crane-seed, so a client that reconnects with Last-Event-ID misses nothing the log still holds.
    /// </summary>
    public static async Task Serve(HttpContext context, ActorRegistry registry)
    {
        var filter = EventQuery.Parse(context.Request.Query, out var error);
        if (filter is null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error });
            return;
        }

        var lastId = context.Request.Headers["Last-Event-ID"].FirstOrDefault();
        if (long.TryParse(lastId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var after))
            filter = filter with { AfterId = after };

        var log = await registry.GetAsync<EventLogActor>();
        // Full (a client that does not read): the log's TryWrite fails and it completes the channel, so the stream ends
        // after what is buffered and the client resumes with Last-Event-ID; DropWrite would skip events silently.
        var channel = Channel.CreateBounded<CraneEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        var json = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        log.Tell(new SubscribeEvents(filter, channel.Writer));
        try
        {
            await context.Response.WriteAsync(": connected\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (var e in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync($"id: {e.Id}\nevent: {e.Reason}\ndata: {JsonSerializer.Serialize(e, json)}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            log.Tell(new UnsubscribeEvents(channel.Writer));
        }
    }
}
