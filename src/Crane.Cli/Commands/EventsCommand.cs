using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Crane.Cli.Commands;

/// <summary><c>crane events</c> (and <c>crane get events</c>): the event log, filtered, or followed live with -w.</summary>
public static partial class EventsCommand
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>Adds <c>events</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root) =>
        root.Subcommands.Add(Build("events", "list events, oldest first; -w follows new ones until Ctrl-C"));

    /// <summary>The events command under <paramref name="name"/>.</summary>
    public static Command Build(string name, string description, params string[] aliases)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "after the matching events, print new ones as they happen (until Ctrl-C)" };
        var workload = new Option<string?>("--workload") { Description = "only events of this workload (and its replicas)", HelpName = "name" };
        var node = new Option<string?>("--node") { Description = "only events on this node", HelpName = "name" };
        var type = new Option<string?>("--type") { Description = "Normal or Warning", HelpName = "type" };
        var reason = new Option<string?>("--reason") { Description = "e.g. Scheduled, BackOff, ScaledUp", HelpName = "reason" };
        var since = new Option<string?>("--since")
        {
            Description = "only events after this: a duration (30s, 5m, 2h, 1d) or an ISO 8601 timestamp",
            HelpName = "when",
        };
        var noHeaders = new Option<bool>("--no-headers") { Description = "no column header line (table and wide output)" };
        var output = Common.OutputOption("json", "yaml", "wide");
        var command = new Command(name, description) { watch, workload, node, type, reason, since, noHeaders, output };
        foreach (var alias in aliases)
            command.Aliases.Add(alias);
        return command.Does(async (parse, api, cancel) =>
        {
            var query = Query(("workload", parse.GetValue(workload)), ("node", parse.GetValue(node)), ("type", parse.GetValue(type)),
                ("reason", parse.GetValue(reason)), ("since", Since(parse.GetValue(since))));
            var format = parse.Format(output);
            if (parse.GetValue(watch))
                return await WatchAsync(api, query, format, !parse.GetValue(noHeaders), cancel);

            var events = await api.GetJsonAsync("api/v1/events" + query, cancel);
            if (Output.TryWriteStructured(events, format))
                return ExitCodes.Ok;
            if (!Output.Array(events).Any())
            {
                Console.Error.WriteLine("No events.");
                return ExitCodes.Ok;
            }

            var table = Views.Events(Output.Array(events), format == OutputFormat.Wide);
            table.ShowHeaders = !parse.GetValue(noHeaders);
            Output.Write(table);
            return ExitCodes.Ok;
        });
    }

    /// <summary>"?a=1&amp;b=2" of the parameters that have a value, or "".</summary>
    internal static string Query(params (string Key, string? Value)[] parameters)
    {
        var set = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }

    /// <summary>A kubectl-style duration (30s, 5m, 2h, 1d) as an absolute UTC time; anything else goes to the server as written.</summary>
    internal static string? Since(string? value)
    {
        if (value is null || Duration().Match(value) is not { Success: true } m)
            return value;
        var amount = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var span = m.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
        return (DateTimeOffset.UtcNow - span).ToString("o", CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([smhd])$")]
    private static partial Regex Duration();

    /// <summary>
    /// Follows /api/v1/events/stream: the server first replays the matching log, then sends events as they happen. When the
    /// connection drops it reconnects with Last-Event-ID, so nothing is printed twice and nothing is lost. Ends with Ctrl-C (exit 0).
    /// The first connection failing is an error (exit 1 or 3); later failures are retried with a growing delay.
    /// </summary>
    private static async Task<int> WatchAsync(ApiClient api, string query, OutputFormat format, bool header, CancellationToken cancel)
    {
        var wide = format == OutputFormat.Wide;
        if (header && format is OutputFormat.Table or OutputFormat.Wide)
            Console.Out.WriteLine(Views.EventHeader(wide));
        string? lastId = null;
        var connected = false;
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                using var response = await api.OpenStreamAsync("api/v1/events/stream" + query, lastId, cancel);
                if (connected)
                    Console.Error.WriteLine($"reconnected to {api.Server}" + (lastId is null ? "" : $" (resuming after event {lastId})"));
                connected = true;
                delay = TimeSpan.FromSeconds(1);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel), Encoding.UTF8);
                await foreach (var (id, data) in ReadAsync(reader, cancel))
                {
                    lastId = id ?? lastId;
                    Print(data, format, wide);
                }

                Console.Error.WriteLine($"the event stream of {api.Server} ended; reconnecting in {delay.TotalSeconds:0}s");
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
            catch (ServerUnreachableException ex) when (connected)
            {
                Console.Error.WriteLine($"{ex.Message}; retrying in {delay.TotalSeconds:0}s");
            }
            catch (ApiException ex) when (connected && (int)ex.Status >= 500)
            {
                Console.Error.WriteLine($"{api.Server} answered {(int)ex.Status}: {ex.Message}; retrying in {delay.TotalSeconds:0}s");
            }
            catch (Exception ex) when (connected && ex is IOException or HttpRequestException)
            {
                Console.Error.WriteLine($"lost the event stream of {api.Server} ({ex.Message}); reconnecting in {delay.TotalSeconds:0}s");
            }

            try
            {
                await Task.Delay(delay, cancel);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private static void Print(string data, OutputFormat format, bool wide)
    {
        JsonNode? e;
        try
        {
            e = JsonNode.Parse(data);
        }
        catch (JsonException)
        {
            Output.Warning($"skipped an event that is not JSON: {data}");
            return;
        }

        switch (format)
        {
            case OutputFormat.Json:
                Console.Out.WriteLine(Output.CompactJson(e));
                break;
            case OutputFormat.Yaml:
                Console.Out.WriteLine("---");
                Output.WriteYaml(e);
                break;
            default:
                if (e is not null)
                    Console.Out.WriteLine(Views.EventLine(e, wide));
                break;
        }
    }

    /// <summary>The messages of a Server-Sent Events stream (id and data; comments and other fields skipped) until it ends.</summary>
    private static async IAsyncEnumerable<(string? Id, string Data)> ReadAsync(StreamReader reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        string? id = null;
        var data = new StringBuilder();
        var any = false;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0)
            {
                if (any && data.Length > 0)
                    yield return (id, data.ToString());
                id = null;
                data.Clear();
                any = false;
                continue;
            }

            if (line.StartsWith(':'))
                continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
                value = value[1..];
            any = true;
            if (field == "id")
                id = value;
            else if (field == "data")
                data.Append(data.Length > 0 ? "\n" : "").Append(value);
        }
    }
}
