using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Hosting;
using Crane.Actors.Hosting;
using Crane.Seed;
using Crane.Seed.Security;
using Prometheus;

Crane.Actors.Observability.CraneMetrics.UseCleanDefaults();
CraneOptions options;
try
{
    options = CraneOptions.Parse(args, defaultAkkaPort: 4053);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"crane-seed: {ex.Message}");
    return 2;
}

if (ListenPorts.FirstTaken(options) is { } taken)
{
    Console.Error.WriteLine($"crane-seed: {taken}");
    return 1;
}

ApiTokens tokens;
try
{
    tokens = ApiTokens.Load(options.TokensFile, options.DataDir);
}
catch (Exception ex) when (ex is ArgumentException or IOException)
{
    Console.Error.WriteLine($"crane-seed: {ex.Message}");
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.UseUrls(options.HttpListenUrl);
// An API request waiting on an actor that is shutting down must not hold the process for the default 30 s.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ApiGuard.MaxBodyBytes);
builder.Services.AddSingleton(tokens);
builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
try
{
    builder.Services.AddCrane(options, control: true, worker: options.AllInOne);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"crane-seed: {ex.Message}");
    return 2;
}

var app = builder.Build();
app.UseMiddleware<ApiErrors>();
app.UseMiddleware<ApiGuard>();
app.UseHttpMetrics();
app.UseDashboard();
app.MapCraneApi();
app.MapMetrics("/metrics");

app.Lifetime.ApplicationStarted.Register(() =>
{
    var address = app.Urls.FirstOrDefault() ?? "";
    var port = new Uri(address).Port;
    File.WriteAllText(Path.Combine(options.DataDir, "http.port"), port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    CraneAkka.AnnounceMetrics(app.Services.GetRequiredService<Akka.Actor.ActorSystem>(), options, control: true, worker: options.AllInOne, port);
    app.Logger.LogInformation("crane-seed listening on http://{Host}:{Port} (akka {AkkaPort}, data {DataDir}, {Mode})",
        options.HttpBind, port, options.AkkaPort, Path.GetFullPath(options.DataDir), options.AllInOne ? $"all-in-one, node {options.NodeName}, runtime {options.Runtime}" : "control only");
});

await app.RunAsync();
return 0;
