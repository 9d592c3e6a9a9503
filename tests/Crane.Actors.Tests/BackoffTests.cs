using Crane.Actors.Nodes;

namespace Crane.Actors.Tests;

public sealed class BackoffTests
{
    [Theory]
    // 1 s doubling: 1, 2, 4, 8, … capped at 300 s (2^9 = 512 > 300)
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(1000, 300)]
    public void Delay_doubles_from_one_second_up_to_the_cap(int crashes, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Default.Delay(crashes));

    [Theory]
    // a crash after a short run counts on; a run of ≥ 10 min resets the count to this crash alone
    [InlineData(3, 5, 4)]
    [InlineData(3, 599, 4)]
    [InlineData(3, 600, 1)]
    [InlineData(0, 0, 1)]
    public void Crash_count_resets_after_a_healthy_period(int before, int ranForSeconds, int after) =>
        Assert.Equal(after, Backoff.Default.NextCrashCount(before, TimeSpan.FromSeconds(ranForSeconds)));
}

public sealed class ProbeTimingTests
{
    [Theory]
    // 50 ms doubling per consecutive failure, never longer than the period
    [InlineData(1, 10, 50)]
    [InlineData(2, 10, 100)]
    [InlineData(4, 10, 400)]
    [InlineData(5, 1, 800)]
    [InlineData(6, 1, 1000)]
    [InlineData(100, 1, 1000)]
    [InlineData(1, 0.02, 20)]
    public void Warm_up_retries_start_fast_and_stop_at_the_period(int failures, double periodSeconds, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ProbeTiming.WarmUpRetry(failures, TimeSpan.FromSeconds(periodSeconds)));
}
