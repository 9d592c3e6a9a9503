namespace Crane.Scheduling;

/// <summary>One replica of <paramref name="Workload"/> to place.</summary>
/// <param name="Strategy">Name in the <see cref="StrategyRegistry"/>; null or empty uses the placer's default.</param>
/// <param name="SpreadKey">Node label whose values form the groups that <c>spread</c> balances replicas over.</param>
public sealed record PlacementRequest(
    string Workload,
    Resources Requests,
    IReadOnlyList<Constraint> Constraints,
    string Runtime = "docker",
    string? Strategy = null,
    string? SpreadKey = null);
