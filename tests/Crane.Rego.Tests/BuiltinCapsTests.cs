namespace Crane.Rego.Tests;

/// <summary>
/// Built-ins whose result grows with an argument's value rather than with the input's size stop at
/// <see cref="EvalOptions.MaxCollectionSize"/> (100,000 elements) and <see cref="EvalOptions.MaxStringLength"/>
/// (4 Mi characters), before they allocate: the failing cases use only a handful of steps.
/// </summary>
public sealed class BuiltinCapsTests
{
    private static (RegoResult<Value?> Result, EvaluationBudget Budget) Evaluate(string expression, string? module = null)
    {
        var policy = RegoCompiler.Compile("caps.rego", "package caps\n\n" + (module ?? "") + "\nx := " + expression + "\n").Value!;
        var budget = new EvaluationBudget(10_000_000, null);
        return (policy.EvaluateValue("data.caps.x", (Value?)null, null, new EvalOptions { Budget = budget, StrictBuiltinErrors = true }), budget);
    }

    [Theory]
    // 10,000,000 elements > 100,000.
    [InlineData("numbers.range(1, 10000000)", "numbers.range: result of 10000000 elements exceeds the limit of 100000 elements")]
    // (10^12 - 1) / 10 + 1 = 100,000,000,000 elements.
    [InlineData("numbers.range_step(1, 1000000000000, 10)", "numbers.range_step: result of 100000000000 elements exceeds the limit of 100000 elements")]
    // 60,000 + 60,000 = 120,000 elements.
    [InlineData("array.concat(numbers.range(1, 60000), numbers.range(1, 60000))", "array.concat: result of 120000 elements exceeds the limit of 100000 elements")]
    // 1,000 references to one 1,000-element array flatten to 1,000,000 elements.
    [InlineData("array.flatten([a | some _ in numbers.range(1, 1000)])", "array.flatten: result of 1000000 elements exceeds", "a := numbers.range(1, 1000)")]
    // A width of 10^9 pads to 10^9 characters > 4,194,304.
    [InlineData("sprintf(\"%1000000000d\", [1])", "sprintf: width 1000000000 exceeds the limit of 4194304 characters")]
    // A width past int would have thrown OverflowException.
    [InlineData("sprintf(\"%99999999999d\", [1])", "sprintf: width 99999999999 exceeds the limit")]
    // 50,000 copies of a 100-character string joined: 5,000,000 characters.
    [InlineData("concat(\"\", [s | some _ in numbers.range(1, 50000)])", "concat: result of 5000000 characters exceeds the limit of 4194304 characters", "s := concat(\"\", [\"a\" | some _ in numbers.range(1, 100)])")]
    // Each of 50,000 "a"s becomes 100 characters: 5,000,000.
    [InlineData("strings.replace_n({\"a\": s}, t)", "strings.replace_n: result of", "s := concat(\"\", [\"a\" | some _ in numbers.range(1, 100)])\nt := concat(\"\", [\"a\" | some _ in numbers.range(1, 50000)])")]
    // replace does the same arithmetic up front: 50,000 × 100 = 5,000,000 characters.
    [InlineData("replace(t, \"a\", s)", "replace: result of 5000000 characters exceeds", "s := concat(\"\", [\"a\" | some _ in numbers.range(1, 100)])\nt := concat(\"\", [\"a\" | some _ in numbers.range(1, 50000)])")]
    // 200,000 one-character pieces.
    [InlineData("split(t, \"\")", "split: result of 200000 elements exceeds", "t := concat(\"\", [\"ab\" | some _ in numbers.range(1, 100000)])")]
    // Ten levels of three shared copies write out 3^10 × 100,000-character strings as JSON.
    [InlineData("json.marshal(l10)", "json.marshal: result of more than 4194304 characters", "l0 := concat(\"\", [\"a\" | some _ in numbers.range(1, 100000)])\nl1 := [l0, l0, l0]\nl2 := [l1, l1, l1]\nl3 := [l2, l2, l2]\nl4 := [l3, l3, l3]\nl5 := [l4, l4, l4]\nl6 := [l5, l5, l5]\nl7 := [l6, l6, l6]\nl8 := [l7, l7, l7]\nl9 := [l8, l8, l8]\nl10 := [l9, l9, l9]")]
    // 60,000 + 60,000 keys.
    [InlineData("object.union(a, b)", "object.union: result of 120000 elements exceeds", "a := {sprintf(\"a%d\", [i]): i | some i in numbers.range(1, 60000)}\nb := {sprintf(\"b%d\", [i]): i | some i in numbers.range(1, 60000)}")]
    // A comprehension is counted as it grows: 400 × 400 = 160,000 pairs stop at the 100,001st.
    [InlineData("count([[i, j] | some i in numbers.range(1, 400); some j in numbers.range(1, 400)])", "array comprehension: result of more than 100000 elements exceeds the limit of 100000 elements")]
    public void A_built_in_past_its_cap_fails_with_a_budget_error_naming_it(string expression, string message, string? module = null)
    {
        var (result, _) = Evaluate(expression, module);

        Assert.False(result.IsOk, $"{expression} should fail");
        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error!.Code);
        Assert.Contains(message, result.Error.Message);
    }

    [Fact]
    public void Numbers_range_of_ten_million_fails_before_building_anything()
    {
        var (result, budget) = Evaluate("numbers.range(1, 10000000)");

        Assert.Equal("numbers.range: result of 10000000 elements exceeds the limit of 100000 elements", result.Error?.Message);
        // The call itself costs a few steps; the 10^7 elements were never built or charged.
        Assert.True(budget.StepsUsed < 100, $"{budget.StepsUsed} steps");
    }

    [Theory]
    // Under the caps: the value comes back, and its elements are charged to the budget (1 step each).
    [InlineData("count(numbers.range(1, 1000))", 1000)]
    [InlineData("count(numbers.range(1, 100000))", 100000)]
    [InlineData("count(array.concat(numbers.range(1, 50000), numbers.range(1, 50000)))", 100000)]
    [InlineData("count(split(\"a,b,c\", \",\"))", 3)]
    [InlineData("count(sprintf(\"%10d\", [1]))", 10)]
    [InlineData("count(concat(\"-\", [\"a\", \"b\"]))", 3)]
    public void A_built_in_under_its_cap_works(string expression, long expected)
    {
        var (result, budget) = Evaluate(expression);

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(Value.Number(expected), result.Value);
        Assert.True(budget.StepsUsed >= (expected >= 1000 ? expected : 0), $"{budget.StepsUsed} steps for {expected} elements");
    }

    [Fact]
    public void Many_calls_under_the_cap_still_add_up_to_the_step_budget()
    {
        // 100 × numbers.range(1, 90000): each call fits the cap; together 9,000,000 elements pass the 1,000,000 steps.
        var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := sum([count(numbers.range(1, 90000)) | some _ in numbers.range(1, 100)])\n").Value!;

        var result = policy.EvaluateValue("data.p.x", (Value?)null, null, new EvalOptions { MaxSteps = 1_000_000 });

        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error?.Code);
        Assert.Contains("numbers.range exceeded the step budget of 1000000 steps", result.Error!.Message);
    }

    [Fact]
    public void The_caps_are_options()
    {
        var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := count(numbers.range(1, 1000))\n").Value!;

        var result = policy.EvaluateValue("data.p.x", (Value?)null, null, new EvalOptions { MaxCollectionSize = 999 });

        Assert.Equal("numbers.range: result of 1000 elements exceeds the limit of 999 elements", result.Error?.Message);
    }
}
