namespace Crane.Actors.Workloads;

// Persisted by WorkloadActor. Only primitives, so the journal stays readable across versions.
public sealed record WorkloadApplied(string SpecJson, long Generation);

public sealed record WorkloadScaled(int Replicas);

public sealed record WorkloadRestarted(long Generation);

public sealed record ReplicaCreated(string ReplicaId, long Generation);

public sealed record ReplicaBound(string ReplicaId, string Node);

public sealed record ReplicaRemoved(string ReplicaId);

/// <summary>The replica is to be replaced elsewhere (drain, rebalance): a replacement starts first, then it goes.</summary>
public sealed record ReplicaEvicting(string ReplicaId);

public sealed record WorkloadDeleted(long Generation);
