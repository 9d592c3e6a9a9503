using Crane.Actors.Hosting;
using Prometheus;

Crane.Actors.Observability.CraneMetrics.UseCleanDefaults();
CraneOptions options;
try
{
    options = CraneOptions.Parse(args, defaultAkkaPort: 0, defaultHttpPort: 0);
    if (options.SeedNodes.Count == 0)
        throw new ArgumentException("--seed-nodes is required (e.g. --seed-nodes 127.0.0.1:4053)");
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"crane-node: {ex.Message}");
    return 2;
}

if (ListenPorts.FirstTaken(options) is { } taken)
{
    Console.Error.WriteLine($"crane-node: {taken}");
    return 1;
}

// A node serves only /metrics (its containers' CPU and memory, its replicas' probes) and /healthz; port 0 picks a free one.
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.UseUrls(options.HttpListenUrl);
try
{
    builder.Services.AddCrane(options, control: false, worker: true);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"crane-node: {ex.Message}");
    return 2;
}

var app = builder.Build();
app.MapMetrics("/metrics");
app.MapGet("/healthz", async (Akka.Hosting.ActorRegistry registry, CancellationToken cancel) =>
{
    var (status, body) = await LocalActorHealth.AnswerAsync(registry, cancel);
    return Results.Json(body, statusCode: status);
});
app.Lifetime.ApplicationStarted.Register(() =>
{
    var port = new Uri(app.Urls.First()).Port;
    File.WriteAllText(Path.Combine(options.DataDir, "http.port"), port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    CraneAkka.AnnounceMetrics(app.Services.GetRequiredService<Akka.Actor.ActorSystem>(), options, control: false, worker: true, port);
    app.Logger.LogInformation("crane-node {Node} serving /metrics on http://{Host}:{Port}", options.NodeName, options.HttpBind, port);
});

await app.RunAsync();
return 0;
