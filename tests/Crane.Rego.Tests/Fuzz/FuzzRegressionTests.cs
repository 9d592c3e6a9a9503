namespace Crane.Rego.Tests.Fuzz;

/// <summary>Cases the fuzz tests found, one named test each, kept after the fix.</summary>
public sealed class FuzzRegressionTests
{
    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    [Fact]
    public void A_result_nested_deeper_than_64_levels_converts_to_json()
    {
        // Found by Deep_nesting_...: JsonNode.Parse's default depth of 64 threw JsonReaderException on the result.
        var policy = RegoCompiler.Compile("p.rego", "package p\nx := " + Repeat("[", 100) + "1" + Repeat("]", 100)).Value!;

        var value = policy.EvaluateValue("data.p.x", (Value?)null, null);
        var rows = policy.Evaluate("x = data.p.x", (Value?)null, null);

        Assert.True(value.IsOk, value.Error?.ToString());
        Assert.NotNull(value.Value!.ToJsonNode());
        Assert.Single(rows.Value!.Rows).ToJson();
    }

    [Fact]
    public void Thousands_of_with_modifiers_on_one_expression_are_an_error_not_a_stack_overflow()
    {
        // Found by Deep_nesting_...: ApplyWiths recursed once per modifier with no stack check.
        var source = "package p\nx if not input.a" + Repeat(" with input.a as 1", 20_000);

        FuzzHarness.CompileAndEvaluate([("p.rego", source)], ["x = data.p.x"]);
    }

    [Fact]
    public void A_deeply_nested_result_is_refused_with_a_budget_error()
    {
        // 1,001 levels from json.patch adding one level per operation: past Value.MaxJsonDepth.
        var policy = RegoCompiler.Compile("p.rego", """
            package p

            ops := [{"op": "add", "path": ["a" | some _ in numbers.range(1, i)], "value": {}} | some i in numbers.range(1, 1001)]
            x := json.patch({}, ops)
            """).Value!;

        var result = policy.EvaluateValue("data.p.x", (Value?)null, null, new EvalOptions { MaxSteps = 10_000_000 });

        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error?.Code);
        Assert.Contains("nested deeper than 1000 levels", result.Error!.Message);
    }

    [Theory]
    // Found by Mutated_real_policies_... and Random_characters_...: a raw string opened inside a template
    // expression and never closed ran the lexer past the end of the source (IndexOutOfRangeException).
    [InlineData("package test\n\np := $`<sum>\n  { {1e21 + a}\n</sum>`\n")]
    [InlineData("package p\nx := $\"{`")]
    public void An_unterminated_raw_string_inside_a_template_is_a_parse_error(string source)
    {
        var result = RegoCompiler.Compile("p.rego", source);

        Assert.Equal(RegoErrorCodes.ParseError, result.Error?.Code);
    }

    [Fact]
    public void Format_int_of_a_hundred_thousand_digit_number_finishes()
    {
        // Found by hand after the fuzz runs: base 2 by repeated division and StringBuilder.Insert(0) was quadratic,
        // 332,193 digits never finished. Now the bits are read off directly.
        FuzzHarness.Run("format_int(1e100000, 2)", () =>
        {
            var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := count(format_int(1e100000, 2))\n").Value!;
            var result = policy.EvaluateValue("data.p.x", (Value?)null, null);
            // 10^100000 < 2^332193, and ≥ 2^332192: 332,193 binary digits.
            Assert.Equal(Value.Number(332_193), result.Value);
        });
    }

    [Theory]
    // Found by hand: normalising a result with 100,000 trailing zeros divided by 10 once per zero.
    [InlineData("bits.and(1e100000, 1e100000)", "1e100000")]
    [InlineData("numbers.range(1e100000, 1e100000)[0]", "1e100000")]
    public void Numbers_with_many_trailing_zeros_normalise_quickly(string expression, string expected)
    {
        FuzzHarness.Run(expression, () =>
        {
            var policy = RegoCompiler.Compile("p.rego", $"package p\n\nx := {expression}\n").Value!;
            Assert.Equal(CompiledPolicy.ParseValue(expected).Value, policy.EvaluateValue("data.p.x", (Value?)null, null).Value);
        });
    }

    [Fact]
    public void A_product_past_a_hundred_thousand_digits_is_a_budget_error()
    {
        // 25,206! has 100,001 digits: each factor made the next multiplication slower, without bound.
        var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := product(numbers.range(1, 30000))\n").Value!;

        var result = policy.EvaluateValue("data.p.x", (Value?)null, null);

        Assert.Equal(RegoErrorCodes.EvalBudget, result.Error?.Code);
        Assert.Contains("number with more than 100000 digits", result.Error!.Message);
    }

    [Theory]
    // Found by hand, then by Every_built_in_...: a JSON number past the exponent range threw FormatException out
    // of json.unmarshal and json.is_valid, and out of CompiledPolicy.Evaluate for such an input document.
    [InlineData("x := json.unmarshal(\"1e999999\")")]
    [InlineData("x := json.unmarshal(\"[1e999999]\")")]
    [InlineData("x := json.is_valid(\"1e999999\")")]
    public void A_json_number_out_of_range_is_an_error_not_a_format_exception(string query) =>
        FuzzHarness.CompileAndEvaluate([("f.rego", "package f\n")], [query], strict: true);

    [Fact]
    public void An_input_document_with_a_number_out_of_range_is_refused_with_a_code()
    {
        var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := input.a\n").Value!;

        var result = policy.Evaluate("y = data.p.x", System.Text.Json.Nodes.JsonNode.Parse("{\"a\": 1e999999}"), null);

        Assert.Equal(RegoErrorCodes.EvalType, result.Error?.Code);
    }

    [Theory]
    // Found by hand: YamlDotNet's YamlStream.Load recursed once per level and overflowed the stack, ending the
    // process, on an input string of 100,000 '['. Past 128 levels the text now counts as invalid YAML.
    [InlineData("[", 100_000, false)]
    [InlineData("- ", 20_000, false)]
    [InlineData("{a: ", 20_000, false)]
    [InlineData("[", 100, true)]
    public void Deeply_nested_yaml_is_checked_without_a_stack_overflow(string open, int levels, bool valid)
    {
        var close = open switch { "[" => "]", "{a: " => "}", _ => "" };
        var text = Repeat(open, levels) + "a" + Repeat(close, levels);
        FuzzHarness.Run($"yaml.is_valid of {levels} × {open}", () =>
        {
            var policy = RegoCompiler.Compile("p.rego", "package p\n\nx := yaml.is_valid(input.s)\n").Value!;
            var result = policy.EvaluateValue("data.p.x", System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(new { s = text })), null);
            Assert.Equal(Value.Bool(valid), result.Value);
        });
    }
}
