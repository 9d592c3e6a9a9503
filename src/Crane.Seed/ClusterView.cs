using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Crane.Actors.Workloads;

namespace Crane.Seed;

internal static class ClusterView
{
    public static async Task<IResult> Get(ActorSystem system, ActorRegistry registry)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new
            {
                address = m.Address.ToString(),
                roles = m.Roles.Order().ToList(),
                status = m.Status.ToString(),
                reachable = !unreachable.Contains(m.Address),
            })
            .ToList();

        // Singletons run on the oldest Up member with the control role.
        var singletonHost = state.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole("control"))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault()?.Address.ToString();

        var region = await registry.GetAsync<WorkloadRegion>();
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
        var shards = stats.Regions.ToDictionary(
            r => r.Key.ToString(),
            r => new { shards = r.Value.Stats.Count, entities = r.Value.Stats.Values.Sum() });

        return Results.Ok(new
        {
            self = cluster.SelfAddress.ToString(),
            leader = state.Leader?.ToString(),
            members,
            unreachable = unreachable.Select(a => a.ToString()).ToList(),
            singletons = new Dictionary<string, string?> { ["scheduler"] = singletonHost, ["load-balancer"] = singletonHost },
            sharding = new { workload = shards },
        });
    }
}
