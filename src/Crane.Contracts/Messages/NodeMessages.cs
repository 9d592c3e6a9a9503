using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>Idempotent: the node starts the replica, adopts its running container, or re-reports it.</summary>
public sealed record EnsureReplica(string Workload, string ReplicaId, long Generation, WorkloadSpec Spec);

public sealed record StopReplica(string Workload, string ReplicaId, string Reason);

public sealed record NodeDescriptor(
    string Name,
    string Address,
    double CapacityCpu,
    long CapacityMemory,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Runtimes);
