namespace Crane.Actors.Workloads;

/// <summary>What the rollout planner needs to know about one replica.</summary>
public sealed record ReplicaSnapshot(string Id, long Generation, bool Bound, bool Ready);

/// <summary>Create this many replicas of the current generation and remove these.</summary>
public sealed record RolloutStep(int Create, IReadOnlyList<string> Remove)
{
    public static readonly RolloutStep None = new(0, []);
    public bool IsEmpty => Create == 0 && Remove.Count == 0;
}

/// <summary>
/// Rolling update with maxSurge 1 and maxUnavailable 0, as a Kubernetes Deployment with those
/// settings: a new replica is added only while every new one is ready, and an old ready replica
/// goes only when the others already cover the desired count.
/// </summary>
public static class Rollout
{
    public static RolloutStep NextStep(long generation, int desired, IReadOnlyList<ReplicaSnapshot> replicas)
    {
        var current = replicas.Where(r => r.Generation == generation).ToList();
        var old = replicas.Where(r => r.Generation != generation).ToList();
        var remove = new List<string>();

        // Surplus of the current generation: drop the least useful first (unplaced, then unready, then newest id).
        var surplus = current.Count - desired;
        if (surplus > 0)
        {
            foreach (var r in current.OrderBy(r => r.Bound).ThenBy(r => r.Ready).ThenByDescending(r => r.Id, StringComparer.Ordinal).Take(surplus))
                remove.Add(r.Id);
        }

        var keptCurrent = current.Where(r => !remove.Contains(r.Id)).ToList();
        var create = 0;
        if (keptCurrent.Count < desired)
        {
            if (old.Count == 0)
                create = desired - keptCurrent.Count;
            else if (keptCurrent.All(r => r.Ready))
                create = 1;
        }

        var ready = keptCurrent.Count(r => r.Ready) + old.Count(r => r.Ready);
        foreach (var r in old.OrderBy(r => r.Ready).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            if (!r.Ready)
            {
                remove.Add(r.Id);
            }
            else if (ready - 1 >= desired)
            {
                remove.Add(r.Id);
                ready--;
            }
        }

        return create == 0 && remove.Count == 0 ? RolloutStep.None : new RolloutStep(create, remove);
    }
}
