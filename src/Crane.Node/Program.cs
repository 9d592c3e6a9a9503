using Crane.Actors.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

CraneOptions options;
try
{
    options = CraneOptions.Parse(args, defaultAkkaPort: 0);
    if (options.SeedNodes.Count == 0)
        throw new ArgumentException("--seed-nodes is required (e.g. --seed-nodes 127.0.0.1:4053)");
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"crane-node: {ex.Message}");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Services.AddCrane(options, control: false, worker: true);
await builder.Build().RunAsync();
return 0;
