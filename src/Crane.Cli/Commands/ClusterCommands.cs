using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using static Crane.Cli.Output;

namespace Crane.Cli.Commands;

/// <summary><c>crane cluster</c> (Akka members, leader, singletons, shards) and <c>crane cordon|uncordon|drain NODE</c>.</summary>
public static class ClusterCommands
{
    /// <summary>Adds <c>cluster</c>, <c>cordon</c>, <c>uncordon</c> and <c>drain</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Cluster());
        root.Subcommands.Add(NodeAction("cordon", "cordoned", "mark a node unschedulable: nothing new is placed on it"));
        root.Subcommands.Add(NodeAction("uncordon", "uncordoned", "make a cordoned or drained node schedulable again"));
        root.Subcommands.Add(NodeAction("drain", "draining", "cordon a node and move its replicas to other nodes one by one"));
    }

    private static Command Cluster()
    {
        var output = Common.OutputOption("json", "yaml");
        var command = new Command("cluster", "cluster members with roles, status and reachability; leader, singletons, shards") { output };
        return command.Does(async (parse, api, cancel) =>
        {
            var cluster = await api.GetJsonAsync("api/v1/cluster", cancel);
            if (TryWriteStructured(cluster, parse.Format(output)))
                return ExitCodes.Ok;
            var leader = Str(cluster, "leader");
            var self = Str(cluster, "self");
            KeyValues([("Self", self), ("Leader", leader ?? "<none>")]);

            Console.Out.WriteLine();
            Console.Out.WriteLine("Members:");
            var members = Table("ADDRESS", "ROLES", "STATUS", "REACHABLE", "LEADER");
            foreach (var m in Array(cluster, "members"))
            {
                var address = Str(m, "address");
                members.Row(address, string.Join(',', Array(m, "roles").Select(ScalarText)), Str(m, "status"),
                    Bool(m, "reachable") == false ? "no" : "yes", address == leader ? "*" : "");
            }

            Write(members, 2);

            Console.Out.WriteLine();
            Console.Out.WriteLine("Singletons:");
            KeyValues(((cluster?["singletons"] as JsonObject) ?? []).Select(p => (p.Key, (string?)(ScalarText(p.Value) is { Length: > 0 } s ? s : "<none>"))), indent: 2);

            Console.Out.WriteLine();
            Console.Out.WriteLine("Shards:");
            var shards = Table("TYPE", "REGION", "SHARDS", "ENTITIES");
            var any = false;
            foreach (var (type, regions) in (cluster?["sharding"] as JsonObject) ?? [])
            {
                foreach (var (region, stats) in (regions as JsonObject) ?? [])
                {
                    shards.Row(type, region, Int(stats, "shards")?.ToString(CultureInfo.InvariantCulture), Int(stats, "entities")?.ToString(CultureInfo.InvariantCulture));
                    any = true;
                }
            }

            if (any)
                Write(shards, 2);
            else
                Console.Out.WriteLine("  <none>");
            return ExitCodes.Ok;
        });
    }

    private static Command NodeAction(string action, string done, string description)
    {
        var name = Common.Name("node", "node name");
        var command = new Command(action, description) { name };
        return command.Does(async (parse, api, cancel) =>
        {
            var node = parse.GetValue(name)!;
            var view = (await api.SendOkAsync(HttpMethod.Post, $"api/v1/nodes/{ApiClient.Segment(node)}/{action}", null, cancel)).Json();
            Console.Out.WriteLine($"node/{node} {done} (status: {Str(view, "status")})");
            return ExitCodes.Ok;
        });
    }
}
