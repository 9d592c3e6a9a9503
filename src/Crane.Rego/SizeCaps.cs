namespace Crane.Rego;

/// <summary>
/// What one built-in call or comprehension may build: at most <see cref="EvalOptions.MaxCollectionSize"/>
/// elements and <see cref="EvalOptions.MaxStringLength"/> characters, checked before it allocates, and
/// charged to the decision's <see cref="EvaluationBudget"/> so that many calls under the cap still add up.
/// </summary>
internal sealed class SizeCaps(EvaluationBudget budget, int maxElements, int maxChars)
{
    // A step of work copies about this many characters.
    private const int CharsPerStep = 64;

    public int MaxElements => maxElements;
    public int MaxChars => maxChars;

    /// <summary>A collection of <paramref name="count"/> elements is about to be built by <paramref name="what"/>.</summary>
    public void Elements(string what, long count, Location? loc = null)
    {
        if (count > maxElements)
            throw new RegoException(RegoErrorCodes.EvalBudget,
                $"{what}: result of {count} elements exceeds the limit of {maxElements} elements", loc);
        budget.Charge(count, what);
    }

    /// <summary>A collection being built step by step (a comprehension) has reached <paramref name="count"/> elements; its steps were already charged.</summary>
    public void Within(string what, long count, Location? loc = null)
    {
        if (count > maxElements)
            throw new RegoException(RegoErrorCodes.EvalBudget,
                $"{what}: result of more than {maxElements} elements exceeds the limit of {maxElements} elements", loc);
    }

    /// <summary>A string being built piece by piece has reached <paramref name="length"/> characters; charged once it is done.</summary>
    public void CharsWithin(string what, long length, Location? loc = null)
    {
        if (length > maxChars)
            throw new RegoException(RegoErrorCodes.EvalBudget,
                $"{what}: result of {length} characters exceeds the limit of {maxChars} characters", loc);
    }

    /// <summary>A string of <paramref name="length"/> characters is about to be built by <paramref name="what"/>.</summary>
    public void Chars(string what, long length, Location? loc = null)
    {
        if (length > maxChars)
            throw new RegoException(RegoErrorCodes.EvalBudget,
                $"{what}: result of {length} characters exceeds the limit of {maxChars} characters", loc);
        budget.Charge(length / CharsPerStep, what);
    }

    /// <summary>The value is about to be written out as text (JSON or Rego syntax) by <paramref name="what"/>.</summary>
    public void Text(string what, Value v, Location? loc = null)
    {
        var length = TextLength(v, maxChars);
        if (length > maxChars)
            throw new RegoException(RegoErrorCodes.EvalBudget,
                $"{what}: result of more than {maxChars} characters exceeds the limit of {maxChars} characters", loc);
        budget.Charge(length / CharsPerStep, what);
    }

    /// <summary>How deeply the value nests, counted up to just past <paramref name="limit"/>.</summary>
    internal static int Depth(Value v, int limit)
    {
        int deepest = 0;
        var pending = new Stack<(Value Value, int Depth)>();
        pending.Push((v, 1));
        while (pending.Count > 0 && deepest <= limit)
        {
            var (x, d) = pending.Pop();
            deepest = Math.Max(deepest, d);
            foreach (var (key, child) in Evaluator.Entries(x))
            {
                if (x is ObjectValue) pending.Push((key, d + 1));
                pending.Push((child, d + 1));
            }
        }
        return deepest;
    }

    /// <summary>
    /// The length of the value written as text, counted up to just past <paramref name="limit"/>: a value that
    /// shares one child many times (x := [y, y, y], y := [z, z, z]) writes out far larger than it is held.
    /// </summary>
    internal static long TextLength(Value v, long limit)
    {
        long total = 0;
        var pending = new Stack<Value>();
        pending.Push(v);
        while (pending.Count > 0 && total <= limit)
        {
            switch (pending.Pop())
            {
                case StringValue s:
                    total += s.Value.Length + 2;
                    break;
                case NumberValue n:
                    total += n.Value.Mantissa.IsZero ? 1 : (long)(n.Value.Mantissa.GetBitLength() * 0.30103) + 2 + Math.Min(Math.Abs((long)n.Value.Exponent), 22);
                    break;
                case ArrayValue a:
                    total += 2 + a.Count;
                    if (total > limit) break;
                    foreach (var x in a.Items) pending.Push(x);
                    break;
                case SetValue set:
                    total += 2 + set.Count;
                    if (total > limit) break;
                    foreach (var x in set.Items) pending.Push(x);
                    break;
                case ObjectValue o:
                    total += 2 + 2 * o.Count;
                    if (total > limit) break;
                    foreach (var p in o.Pairs)
                    {
                        pending.Push(p.Key);
                        pending.Push(p.Value);
                    }
                    break;
                default:
                    total += 5;
                    break;
            }
        }
        return Math.Min(total, limit + 1);
    }
}
