namespace Crane.Actors.Workloads;

/// <summary>Cluster-wide settings every WorkloadActor shares.</summary>
public sealed record WorkloadSettings(TimeSpan Drain)
{
    public static readonly WorkloadSettings Default = new(TimeSpan.FromSeconds(2));
}
