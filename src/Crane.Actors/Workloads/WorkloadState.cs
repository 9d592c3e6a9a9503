using System.Collections.Immutable;
using Crane.Contracts.Specs;

namespace Crane.Actors.Workloads;

public sealed record ReplicaRecord(string Id, long Generation, string? Node, bool Evicting = false);

/// <summary>The persisted desired state of one workload, rebuilt from its events.</summary>
public sealed record WorkloadState(
    WorkloadSpec? Spec,
    long Generation,
    int Desired,
    ImmutableDictionary<string, ReplicaRecord> Replicas)
{
    public static readonly WorkloadState Empty = new(null, 0, 0, ImmutableDictionary<string, ReplicaRecord>.Empty);

    public bool Exists => Spec is not null;

    public WorkloadState Apply(object evt) => evt switch
    {
        WorkloadApplied e => WithSpec(SpecJson.Deserialize(e.SpecJson), e.Generation),
        WorkloadScaled e => this with { Desired = e.Replicas, Spec = Spec! with { Replicas = e.Replicas } },
        WorkloadRestarted e => this with { Generation = e.Generation },
        ReplicaCreated e => this with { Replicas = Replicas.SetItem(e.ReplicaId, new ReplicaRecord(e.ReplicaId, e.Generation, null)) },
        ReplicaBound e when Replicas.TryGetValue(e.ReplicaId, out var r) => this with { Replicas = Replicas.SetItem(e.ReplicaId, r with { Node = e.Node }) },
        ReplicaRemoved e => this with { Replicas = Replicas.Remove(e.ReplicaId) },
        ReplicaEvicting e when Replicas.TryGetValue(e.ReplicaId, out var r) => this with { Replicas = Replicas.SetItem(e.ReplicaId, r with { Evicting = true }) },
        WorkloadDeleted e => Empty with { Generation = e.Generation },
        _ => this,
    };

    /// <summary>
    /// The spec as it will run: an autoscaled workload keeps the count the autoscaler (or a scale) chose across applies,
    /// within the new min/max; a newly autoscaled one starts at its replicas within min/max.
    /// </summary>
    public WorkloadSpec Effective(WorkloadSpec spec)
    {
        if (spec.Autoscaling is not { } a)
            return spec;
        var start = Exists && Spec!.Autoscaling is not null ? Desired : spec.Replicas;
        return spec with { Replicas = Math.Clamp(start, a.Min, a.Max) };
    }

    private WorkloadState WithSpec(WorkloadSpec spec, long generation)
    {
        var effective = Effective(spec);
        return this with { Spec = effective, Generation = generation, Desired = effective.Replicas };
    }
}
