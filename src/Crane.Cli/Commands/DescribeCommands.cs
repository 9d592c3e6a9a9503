using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using static Crane.Cli.Output;

namespace Crane.Cli.Commands;

/// <summary><c>crane describe workload|node NAME</c>: everything about one object, with its recent events.</summary>
public static class DescribeCommands
{
    private const int RecentEvents = 20;

    /// <summary>Adds <c>describe</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        var describe = new Command("describe", "show one workload or node in detail, with its recent events");
        describe.Subcommands.Add(Workload());
        describe.Subcommands.Add(Node());
        root.Subcommands.Add(describe);
    }

    private static Command Workload()
    {
        var name = Common.Name("name", "workload name");
        var command = new Command("workload", "spec, replicas, autoscaler, load balancer and recent events of a workload") { name };
        command.Aliases.Add("workloads");
        command.Aliases.Add("wl");
        return command.Does(async (parse, api, cancel) =>
        {
            var workload = parse.GetValue(name)!;
            var w = await api.GetJsonAsync($"api/v1/workloads/{ApiClient.Segment(workload)}", cancel);
            var events = await api.GetJsonAsync($"api/v1/events{EventsCommand.Query(("workload", workload))}", cancel);
            WriteWorkload(w);
            WriteEvents(events);
            return ExitCodes.Ok;
        });
    }

    private static void WriteWorkload(JsonNode w)
    {
        var spec = w["spec"];
        var resources = spec?["resources"];
        KeyValues([
            ("Name", Str(w, "name")),
            ("Generation", Int(w, "generation")?.ToString(CultureInfo.InvariantCulture)),
            ("Image", Str(spec, "image")),
            ("Replicas", $"{Int(w, "desiredReplicas")} desired, {Array(w, "replicas").Count()} current, {Int(w, "readyReplicas")} ready"),
            ("Resources", $"cpu {Output.Cpu(Num(resources, "cpu") ?? 0)}, memory {Memory(Int(resources, "memory") ?? 0)}"),
            ("Port", Int(spec, "port")?.ToString(CultureInfo.InvariantCulture)),
            ("Command", Words(spec, "command")),
            ("Args", Words(spec, "args")),
            ("Env", Pairs(spec, "env")),
            ("Labels", Pairs(spec, "labels")),
            ("Constraints", Array(spec, "constraints").Any() ? string.Join("; ", Array(spec, "constraints").Select(Constraint)) : null),
            ("Strategy", Str(spec, "strategy")),
            ("Spread key", Str(spec, "spreadKey")),
            ("Runtime", Str(spec, "runtime")),
            ("Restart policy", Str(spec, "restartPolicy")),
            ("Health", Health(spec?["health"])),
            ("Autoscaling", Autoscaling(spec?["autoscaling"])),
            ("Load balancer", LoadBalancer(w["loadBalancer"])),
        ]);

        Console.Out.WriteLine();
        Console.Out.WriteLine("Replicas:");
        var replicas = Array(w, "replicas").ToList();
        if (replicas.Count == 0)
        {
            Console.Out.WriteLine("  <none>");
        }
        else
        {
            var table = Table("ID", "NODE", "STATE", "READY", "RESTARTS", "HOST PORT", "GEN", "MESSAGE");
            foreach (var r in replicas)
            {
                table.Row(Str(r, "id"), Str(r, "node"), Str(r, "state"), Bool(r, "ready") == true ? "true" : "false",
                    Int(r, "restarts")?.ToString(CultureInfo.InvariantCulture), Int(r, "hostPort")?.ToString(CultureInfo.InvariantCulture),
                    Int(r, "generation")?.ToString(CultureInfo.InvariantCulture), Str(r, "pendingReason") ?? Str(r, "message"));
            }

            Indented(table);
        }

        if (w["autoscaler"] is JsonObject autoscaler)
            WriteAutoscaler(autoscaler);
    }

    private static void WriteAutoscaler(JsonObject a)
    {
        Console.Out.WriteLine();
        Console.Out.WriteLine("Autoscaler:");
        var metric = Str(a, "metric") ?? "?";
        var unit = metric is "cpu" or "memory" ? "%" : "";
        var current = Num(a, "currentValue") is { } v ? Number(v) + unit : "<unknown>";
        KeyValues([
            ("Metric", $"{metric} {current} (target {Number(Num(a, "target") ?? 0)}{unit})"),
            ("Replicas", $"{Int(a, "currentReplicas")} current, {Int(a, "desiredReplicas")} desired"),
            ("Last scale", Str(a, "lastScaleTime") is { } scaled ? $"{Time(scaled)} ({Age(scaled)} ago)" : "never"),
            ("Last sync", Str(a, "lastSyncTime") is { } synced ? $"{Time(synced)} ({Age(synced)} ago)" : null),
            ("Message", Str(a, "message")),
        ], indent: 2);
        var conditions = Array(a, "conditions").ToList();
        if (conditions.Count == 0)
            return;
        Console.Out.WriteLine("  Conditions:");
        var table = Table("TYPE", "STATUS", "REASON", "SINCE", "MESSAGE");
        foreach (var c in conditions)
        {
            table.Row(Str(c, "type"), Bool(c, "status") == true ? "True" : "False", Str(c, "reason"),
                Age(Str(c, "lastTransitionTime")), Str(c, "message"));
        }

        Indented(table, 4);
    }

    private static void WriteEvents(JsonNode events)
    {
        var all = Array(events).ToList();
        Console.Out.WriteLine();
        Console.Out.WriteLine(all.Count > RecentEvents ? $"Events (last {RecentEvents} of {all.Count}):" : "Events:");
        if (all.Count == 0)
        {
            Console.Out.WriteLine("  <none>");
            return;
        }

        Indented(Views.Events(all.Skip(Math.Max(0, all.Count - RecentEvents)), wide: false));
    }

    private static Command Node()
    {
        var name = Common.Name("name", "node name");
        var command = new Command("node", "status, resources, labels, replicas and recent events of a node") { name };
        command.Aliases.Add("nodes");
        command.Aliases.Add("no");
        return command.Does(async (parse, api, cancel) =>
        {
            var nodeName = parse.GetValue(name)!;
            var node = GetCommands.FindNode(await api.GetJsonAsync("api/v1/nodes", cancel), nodeName);
            var workloads = await api.GetJsonAsync("api/v1/workloads", cancel);
            var events = await api.GetJsonAsync($"api/v1/events{EventsCommand.Query(("node", nodeName))}", cancel);
            KeyValues([
                ("Name", Str(node, "name")),
                ("Status", Str(node, "status")),
                ("Address", Str(node, "address")),
                ("CPU", $"{Views.Cpu(node)} cores allocated"),
                ("Memory", $"{Views.Mem(node)} allocated"),
                ("Labels", Pairs(node, "labels") ?? "<none>"),
                ("Runtimes", string.Join(", ", Array(node, "runtimes").Select(ScalarText))),
            ]);
            Console.Out.WriteLine();
            Console.Out.WriteLine("Replicas:");
            var table = Table("WORKLOAD", "REPLICA", "STATE", "READY", "RESTARTS");
            var any = false;
            foreach (var w in Array(workloads))
            {
                foreach (var r in Array(w, "replicas").Where(r => Str(r, "node") == nodeName))
                {
                    table.Row(Str(w, "name"), Str(r, "id"), Str(r, "state"), Bool(r, "ready") == true ? "true" : "false",
                        Int(r, "restarts")?.ToString(CultureInfo.InvariantCulture));
                    any = true;
                }
            }

            if (any)
                Indented(table);
            else
                Console.Out.WriteLine("  <none>");
            WriteEvents(events);
            return ExitCodes.Ok;
        });
    }

    private static void Indented(Table table, int by = 2) => Write(table, by);

    private static string? Words(JsonNode? spec, string key) =>
        spec?[key] is JsonArray a ? string.Join(' ', a.Select(ScalarText)) : null;

    private static string Constraint(JsonNode c)
    {
        var values = Array(c, "values").Select(ScalarText).ToList();
        return $"{Str(c, "key")} {Str(c, "operator")}{(values.Count > 0 ? " [" + string.Join(", ", values) + "]" : "")}";
    }

    private static string? Health(JsonNode? health)
    {
        if (health is not JsonObject h)
            return null;
        var lines = h.Where(p => p.Value is JsonObject).Select(p => $"{p.Key}: {Probe(p.Value!)}").ToList();
        return lines.Count == 0 ? null : string.Join('\n', lines);
    }

    private static string Probe(JsonNode p)
    {
        var type = Str(p, "type") ?? "?";
        var target = type switch
        {
            "http" => $"http GET {(Int(p, "port") is { } port ? $":{port}" : "")}{Str(p, "path") ?? "/"}",
            "tcp" => $"tcp {(Int(p, "port") is { } port ? $":{port}" : "port")}",
            "exec" => $"exec {Words(p, "command")}",
            _ => type,
        };
        return $"{target} every {Number(Num(p, "periodSeconds") ?? 10)}s, timeout {Number(Num(p, "timeoutSeconds") ?? 1)}s, " +
               $"delay {Number(Num(p, "initialDelaySeconds") ?? 0)}s, failure threshold {Int(p, "failureThreshold") ?? 3}, " +
               $"success threshold {Int(p, "successThreshold") ?? 1}";
    }

    private static string? Autoscaling(JsonNode? a)
    {
        if (a is not JsonObject)
            return null;
        var metric = Str(a, "metric") ?? "cpu";
        var unit = metric is "cpu" or "memory" ? "%" : "";
        var text = $"{metric} target {Number(Num(a, "target") ?? 0)}{unit}, {Int(a, "min") ?? 1}-{Int(a, "max")} replicas";
        if (Str(a, "query") is { } query)
            text += $"\nquery: {query}";
        if (a["behavior"] is JsonObject behavior)
            text += $"\nbehavior: {behavior.ToJsonString()}";
        return text;
    }

    private static string? LoadBalancer(JsonNode? lb)
    {
        if (Str(lb, "url") is not { } url)
            return null;
        return $"{url.TrimEnd('/')}{Str(lb, "pathPrefix")} (or {url} with Host: {Str(lb, "host")}), {Int(lb, "endpoints")} ready endpoint(s)";
    }
}
