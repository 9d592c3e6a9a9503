using System.Collections.Immutable;

namespace Crane.Actors.Autoscaling;

/// <summary>A recommendation (replicas before stabilization and limits) made at a time, for stabilization windows.</summary>
public sealed record TimedRecommendation(int Replicas, DateTimeOffset At);

/// <summary>Replicas added (scale-up) or removed (scale-down) at a time, for rate policies; Count is positive.</summary>
public sealed record ScaleEvent(int Count, DateTimeOffset At);

/// <summary>What the autoscaler remembers between steps; immutable, the caller keeps the one each decision returns.</summary>
public sealed record ScalingHistory(
    ImmutableList<TimedRecommendation> Recommendations,
    ImmutableList<ScaleEvent> ScaleUps,
    ImmutableList<ScaleEvent> ScaleDowns)
{
    public static readonly ScalingHistory Empty = new([], [], []);

    /// <summary>Replicas added after <paramref name="since"/> (exclusive).</summary>
    public int AddedAfter(DateTimeOffset since) => ScaleUps.Where(e => e.At > since).Sum(e => e.Count);

    /// <summary>Replicas removed after <paramref name="since"/> (exclusive).</summary>
    public int RemovedAfter(DateTimeOffset since) => ScaleDowns.Where(e => e.At > since).Sum(e => e.Count);

    internal ScalingHistory Record(int recommendation, DateTimeOffset at) =>
        this with { Recommendations = Recommendations.Add(new TimedRecommendation(recommendation, at)) };

    internal ScalingHistory RecordScale(int from, int to, DateTimeOffset at) => to > from
        ? this with { ScaleUps = ScaleUps.Add(new ScaleEvent(to - from, at)) }
        : to < from ? this with { ScaleDowns = ScaleDowns.Add(new ScaleEvent(from - to, at)) } : this;

    // Entries at or before now − horizon fall outside every window or period that reads them.
    internal ScalingHistory Prune(DateTimeOffset now, TimeSpan recommendationHorizon, TimeSpan eventHorizon) => new(
        Recommendations.RemoveAll(r => r.At <= now - recommendationHorizon),
        ScaleUps.RemoveAll(e => e.At <= now - eventHorizon),
        ScaleDowns.RemoveAll(e => e.At <= now - eventHorizon));
}
