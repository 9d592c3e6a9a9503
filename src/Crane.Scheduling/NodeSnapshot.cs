namespace Crane.Scheduling;

/// <summary>What the scheduler knows about one node at the moment of a placement.</summary>
/// <param name="ReplicasByWorkload">Replicas currently on the node, keyed by workload name.</param>
public sealed record NodeSnapshot(
    string Name,
    Resources Capacity,
    Resources Allocated,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlySet<string> Runtimes,
    bool Cordoned,
    IReadOnlyDictionary<string, int> ReplicasByWorkload);
