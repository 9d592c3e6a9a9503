namespace Crane.Actors.Nodes;

/// <summary>Restart backoff as the kubelet does it: initial delay doubling per consecutive crash, capped, reset after a healthy run.</summary>
public sealed record Backoff(TimeSpan Initial, TimeSpan Cap, TimeSpan ResetAfter)
{
    public static readonly Backoff Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));

    /// <summary>Delay before restart number <paramref name="consecutiveCrashes"/> (1 = first crash): 1 s, 2 s, 4 s, … cap.</summary>
    public TimeSpan Delay(int consecutiveCrashes)
    {
        if (consecutiveCrashes <= 0)
            return TimeSpan.Zero;
        var exponent = Math.Min(consecutiveCrashes - 1, 30);
        var ticks = Initial.Ticks * Math.Pow(2, exponent);
        return ticks >= Cap.Ticks ? Cap : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The crash count to use after a container that ran for <paramref name="ranFor"/> died.</summary>
    public int NextCrashCount(int consecutiveCrashes, TimeSpan ranFor) =>
        ranFor >= ResetAfter ? 1 : consecutiveCrashes + 1;
}
