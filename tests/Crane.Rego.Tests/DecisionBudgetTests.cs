namespace Crane.Rego.Tests;

/// <summary>One <see cref="EvaluationBudget"/> for a whole decision: every module and every node draws from it.</summary>
public sealed class DecisionBudgetTests
{
    // Iterates 2,000 elements: the same number of steps every time it is evaluated.
    private const string Module = """
        package crane.admission

        deny contains "busy" if count([x | some x in numbers.range(1, 2000); x > 0]) < 0
        """;

    private static readonly CompiledPolicy Policy = RegoCompiler.Compile("busy.rego", Module).Value!;

    private static long StepsOfOneModule()
    {
        var alone = new EvaluationBudget(long.MaxValue, null);
        Assert.True(Evaluate(alone).IsOk);
        return alone.StepsUsed;
    }

    private static RegoResult<Value?> Evaluate(EvaluationBudget decision) =>
        Policy.EvaluateValue("data.crane.admission.deny", (Value?)null, null, new EvalOptions { Budget = decision });

    [Theory]
    // Each module takes 40 % of the decision's steps, so n modules take 40n %: 1 → 40 %, 2 → 80 % fit;
    // 3 → 120 % and 5 → 200 % do not. Per-call budgets would have let every count through.
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(5, false)]
    public void Modules_of_one_decision_share_its_step_budget(int modules, bool fits)
    {
        var perModule = StepsOfOneModule();
        var decision = new EvaluationBudget(perModule * 100 / 40, null);

        var results = Enumerable.Range(0, modules).Select(_ => Evaluate(decision)).ToList();

        Assert.Equal(fits, results.All(r => r.IsOk));
        if (!fits)
        {
            var error = results.First(r => !r.IsOk).Error!;
            Assert.Equal(RegoErrorCodes.EvalBudget, error.Code);
            Assert.Contains($"step budget of {perModule * 100 / 40} steps", error.Message);
        }
    }

    [Fact]
    public void Each_module_alone_fits_the_budget_the_five_together_exceed()
    {
        var perModule = StepsOfOneModule();

        // 40 % each on a fresh budget per call: all five pass, as they did before budgets were per decision.
        Assert.All(Enumerable.Range(0, 5), _ => Assert.True(Evaluate(new EvaluationBudget(perModule * 100 / 40, null)).IsOk));
    }

    [Theory]
    // The clock advances 1 ms per reading; an evaluation reads it when it starts and every 1,024 steps, R times
    // in all. A deadline of 2.5 R ms lets two evaluations through (2 R) and stops the third (3 R > 2.5 R).
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(20, false)]
    public void Evaluations_of_one_decision_share_its_deadline(int evaluations, bool fits)
    {
        var counting = new SteppingClock();
        Assert.True(Evaluate(new EvaluationBudget(long.MaxValue, TimeSpan.FromHours(1), counting)).IsOk);
        var readingsPerEvaluation = counting.Readings - 1;
        var clock = new SteppingClock();
        var decision = new EvaluationBudget(long.MaxValue, TimeSpan.FromMilliseconds(readingsPerEvaluation * 2.5), clock);

        var results = Enumerable.Range(0, evaluations).Select(_ => Evaluate(decision)).ToList();

        Assert.Equal(fits, results.All(r => r.IsOk));
        if (!fits) Assert.Contains("time budget", results.First(r => !r.IsOk).Error!.Message);
    }

    [Fact]
    public void A_decision_past_its_deadline_fails_even_an_evaluation_of_a_few_steps()
    {
        var clock = new SteppingClock();
        var decision = new EvaluationBudget(long.MaxValue, TimeSpan.FromMilliseconds(1), clock);
        var tiny = RegoCompiler.Compile("t.rego", "package t\n\nx := 1\n").Value!;
        clock.Advance(10);

        var result = tiny.EvaluateValue("data.t.x", (Value?)null, null, new EvalOptions { Budget = decision });

        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error?.Code);
    }

    [Fact]
    public void Without_a_shared_budget_each_call_gets_its_own_from_the_options()
    {
        var perModule = StepsOfOneModule();
        var options = new EvalOptions { MaxSteps = perModule * 100 / 40 };

        var results = Enumerable.Range(0, 5).Select(_ => Policy.EvaluateValue("data.crane.admission.deny", (Value?)null, null, options)).ToList();

        Assert.All(results, r => Assert.True(r.IsOk, r.Error?.ToString()));
    }

    [Fact]
    public void A_regular_expression_that_backtracks_past_the_deadline_is_a_budget_error()
    {
        // (a+)+$ against 40 a's and a '!' backtracks through 2^40 splits; the match stops at the decision's deadline.
        var src = "package r\n\nx := regex.match(`(a+)+$`, sprintf(\"%s!\", [concat(\"\", [\"a\" | some _ in numbers.range(1, 40)])]))\n";
        var policy = RegoCompiler.Compile("r.rego", src).Value!;

        var result = policy.EvaluateValue("data.r.x", (Value?)null, null, new EvalOptions { Budget = new EvaluationBudget(1_000_000, TimeSpan.FromMilliseconds(200)) });

        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error?.Code);
        Assert.Contains("regex.match: regular expression", result.Error!.Message);
    }

    // Each reading of the clock advances it by 1 ms.
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Interlocked.Increment(ref _ticks);
        public long Readings => Interlocked.Read(ref _ticks);
        public void Advance(long ms) => Interlocked.Add(ref _ticks, ms);
    }
}
