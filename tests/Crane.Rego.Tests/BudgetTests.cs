namespace Crane.Rego.Tests;

public sealed class BudgetTests
{
    private const string Runaway = """
        package loop

        # 10^4 * 10^4 * 10^4 combinations: far beyond any sensible budget.
        n := numbers.range(1, 10000)
        count_all := count([1 | some a in n; some b in n; some c in n])
        """;

    [Fact]
    public void StepBudgetStopsARunawayPolicy()
    {
        var policy = RegoCompiler.Compile("loop.rego", Runaway).Value!;

        var result = policy.Evaluate("x = data.loop.count_all", (Value?)null, null, new EvalOptions { MaxSteps = 100_000 });

        Assert.False(result.IsOk);
        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error!.Code);
        Assert.Contains("step budget", result.Error.Message);
    }

    [Fact]
    public void DeadlineStopsARunawayPolicy()
    {
        var policy = RegoCompiler.Compile("loop.rego", Runaway).Value!;
        var clock = new SteppingClock();

        var result = policy.Evaluate("x = data.loop.count_all", (Value?)null, null,
            new EvalOptions { MaxSteps = long.MaxValue, Timeout = TimeSpan.FromMilliseconds(50), TimeProvider = clock });

        Assert.False(result.IsOk);
        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error!.Code);
        Assert.Contains("time budget", result.Error.Message);
    }

    [Fact]
    public void RecursionIsAnErrorNotAStackOverflow()
    {
        var policy = RegoCompiler.Compile("r.rego", "package r\n\np if q\n\nq if p\n").Value!;

        var result = policy.Evaluate("x = data.r.p", (Value?)null, null);

        Assert.False(result.IsOk);
        Assert.Equal(RegoErrorCodes.Recursion, result.Error!.Code);
    }

    [Fact]
    public void SmallPolicyFitsInTheDefaultBudget()
    {
        var policy = RegoCompiler.Compile("ok.rego", "package ok\n\ntotal := sum([x | some x in numbers.range(1, 100)])\n").Value!;

        var result = policy.EvaluateValue("data.ok.total", (Value?)null, null);

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(Value.Number(5050), result.Value);
    }

    // Each reading of the clock advances it by 1 ms, so a 50 ms deadline passes after 50 readings.
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Interlocked.Increment(ref _ticks);
    }
}
