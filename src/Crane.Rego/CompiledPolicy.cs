using System.Text.Json.Nodes;

namespace Crane.Rego;

/// <summary>Either a value or an error, never both.</summary>
public sealed record RegoResult<T>(T? Value, RegoError? Error)
{
    public bool IsOk => Error is null;
    public static RegoResult<T> Ok(T value) => new(value, null);
    public static RegoResult<T> Fail(RegoError error) => new(default, error);
}

/// <summary>Evaluation limits and modes.</summary>
public sealed record EvalOptions
{
    /// <summary>Upper bound on evaluation steps (expressions, terms, calls, elements built); exceeding it is an eval_budget_exceeded error.</summary>
    public long MaxSteps { get; init; } = 1_000_000;

    /// <summary>Wall-clock bound measured with <see cref="TimeProvider"/>; null for none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Steps and deadline shared with the other evaluations of the same decision; when set, it replaces
    /// <see cref="MaxSteps"/> and <see cref="Timeout"/>, otherwise each call gets its own budget from them.
    /// </summary>
    public EvaluationBudget? Budget { get; init; }

    /// <summary>Most elements one built-in call or comprehension may build (numbers.range, array.concat, split, ...).</summary>
    public int MaxCollectionSize { get; init; } = 100_000;

    /// <summary>Longest string, in UTF-16 characters, one built-in call or template may build (concat, sprintf, json.marshal, ...).</summary>
    public int MaxStringLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>Maximum nesting of rule and function evaluations.</summary>
    public int MaxDepth { get; init; } = 200;

    /// <summary>Raise built-in errors (e.g. division by zero) instead of treating the expression as undefined.</summary>
    public bool StrictBuiltinErrors { get; init; }

    /// <summary>Clock for the timeout and time.now_ns; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    public static EvalOptions Default { get; } = new();
}

/// <summary>One row of a query's results: the query's variables and their values.</summary>
public sealed record QueryBinding(IReadOnlyDictionary<string, Value> Vars)
{
    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Vars.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v.ToJsonNode();
        return o;
    }
}

/// <summary>All results of a query; empty when the query is undefined.</summary>
public sealed record QueryResult(IReadOnlyList<QueryBinding> Rows)
{
    public bool IsUndefined => Rows.Count == 0;
}

/// <summary>Compiled Rego modules, immutable and safe to evaluate from many threads at once.</summary>
public sealed class CompiledPolicy
{
    private readonly RuleNode _root;

    internal CompiledPolicy(RuleNode root) => _root = root;

    /// <summary>Runs a query such as <c>data.crane.admission.deny[msg]</c> or <c>x := data.a.b; x &gt; 1</c>.</summary>
    public RegoResult<QueryResult> Evaluate(string query, JsonNode? input, JsonNode? data, EvalOptions? options = null) =>
        FromJson(input, data) is { } err
            ? RegoResult<QueryResult>.Fail(err)
            : Evaluate(query, input is null ? null : Value.FromJson(input), data is null ? null : Value.FromJson(data), options);

    // Inputs too deep or otherwise unreadable become an error instead of an exception.
    private static RegoError? FromJson(JsonNode? input, JsonNode? data)
    {
        try
        {
            if (input is not null) _ = Value.FromJson(input);
            if (data is not null) _ = Value.FromJson(data);
            return null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return new RegoError(RegoErrorCodes.EvalType, $"input or data is not usable JSON: {e.Message}");
        }
    }

    /// <summary>As <see cref="Evaluate(string, JsonNode?, JsonNode?, EvalOptions?)"/> with Rego values; a null input is undefined.</summary>
    public RegoResult<QueryResult> Evaluate(string query, Value? input, Value? data, EvalOptions? options = null)
    {
        try
        {
            options ??= EvalOptions.Default;
            var body = RegoCompiler.ResolveQuery(_root, query, out var vars);
            var evaluator = new Evaluator(_root, options);
            var ctx = new EvalContext(input, data ?? ObjectValue.Empty, [], new Dictionary<string, Mock>());
            var rows = new List<QueryBinding>();
            foreach (var b in evaluator.EvalQuery(ctx, body))
            {
                var row = new Dictionary<string, Value>(StringComparer.Ordinal);
                foreach (var (name, local) in vars)
                {
                    if (name.StartsWith("__", StringComparison.Ordinal)) continue;
                    var v = b.Get(local);
                    if (v is not null) row[name] = CheckResult(v, options);
                }
                rows.Add(new QueryBinding(row));
            }
            return RegoResult<QueryResult>.Ok(new QueryResult(rows));
        }
        catch (RegoException e)
        {
            return RegoResult<QueryResult>.Fail(e.ToError());
        }
    }

    /// <summary>
    /// A result must be writable as JSON by the caller: within the string cap as text (a value sharing one child
    /// many times can be far larger written out than held) and within <see cref="Value.MaxJsonDepth"/>.
    /// </summary>
    private static Value CheckResult(Value v, EvalOptions options)
    {
        if (v is not (ArrayValue or ObjectValue or SetValue)) return v;
        if (SizeCaps.TextLength(v, options.MaxStringLength) > options.MaxStringLength)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"result: more than {options.MaxStringLength} characters as JSON exceeds the limit of {options.MaxStringLength} characters");
        if (SizeCaps.Depth(v, Value.MaxJsonDepth) > Value.MaxJsonDepth)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"result: nested deeper than {Value.MaxJsonDepth} levels");
        return v;
    }

    /// <summary>The value of a document such as <c>data.crane.admission.deny</c>; a null value means undefined.</summary>
    public RegoResult<Value?> EvaluateValue(string path, JsonNode? input, JsonNode? data, EvalOptions? options = null) =>
        FromJson(input, data) is { } err ? RegoResult<Value?>.Fail(err) : EvaluateValue(path, input is null ? null : Value.FromJson(input), data is null ? null : Value.FromJson(data), options);

    /// <summary>As <see cref="EvaluateValue(string, JsonNode?, JsonNode?, EvalOptions?)"/> with Rego values.</summary>
    public RegoResult<Value?> EvaluateValue(string path, Value? input, Value? data, EvalOptions? options = null) =>
        EvaluateFirst(_root, $"__result__ = {path}", input, data, options);

    /// <summary>Parses a Rego term (as in a conformance case's <c>input_term</c>) and evaluates it to a ground value.</summary>
    public static RegoResult<Value> ParseValue(string term)
    {
        var r = EvaluateFirst(new RuleNode([]), $"__result__ = {term}", null, null, null);
        if (!r.IsOk) return RegoResult<Value>.Fail(r.Error!);
        return r.Value is { } v
            ? RegoResult<Value>.Ok(v)
            : RegoResult<Value>.Fail(new RegoError(RegoErrorCodes.EvalType, $"term {term} is undefined"));
    }

    private static RegoResult<Value?> EvaluateFirst(RuleNode root, string query, Value? input, Value? data, EvalOptions? options)
    {
        try
        {
            options ??= EvalOptions.Default;
            var body = RegoCompiler.ResolveQuery(root, query, out var vars);
            var evaluator = new Evaluator(root, options);
            var ctx = new EvalContext(input, data ?? ObjectValue.Empty, [], new Dictionary<string, Mock>());
            var first = evaluator.EvalQuery(ctx, body).FirstOrDefault();
            var value = first?.Get(vars["__result__"]);
            return RegoResult<Value?>.Ok(value is null ? null : CheckResult(value, options));
        }
        catch (RegoException e)
        {
            return RegoResult<Value?>.Fail(e.ToError());
        }
    }
}
