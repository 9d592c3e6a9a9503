namespace Crane.Actors.Nodes;

public static class ProbeTiming
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Until a fresh container has passed readiness once, a failed readiness probe is retried after
    /// 50 ms, 100 ms, 200 ms, … capped at the period: a server that needs 300 ms to listen is then
    /// ready ~300 ms after start instead of one whole period later, so apply → ready tracks docker run.
    /// </summary>
    public static TimeSpan WarmUpRetry(int consecutiveFailures, TimeSpan period)
    {
        var exponent = Math.Clamp(consecutiveFailures - 1, 0, 20);
        var delay = TimeSpan.FromTicks(FirstRetry.Ticks << exponent);
        return delay < period ? delay : period;
    }
}
