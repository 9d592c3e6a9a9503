using System.Globalization;
using System.Numerics;
using System.Text;

namespace Crane.Rego;

/// <summary>A built-in failure: a type error (eval_type_error) or another built-in error (eval_builtin_error).</summary>
internal sealed class BuiltinException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

internal sealed record BuiltinCall(Evaluator Evaluator, EvalContext Context, TimeProvider Time, Location Loc)
{
    /// <summary>Fails before the built-in builds more than the cap of elements, and charges them to the budget.</summary>
    public void Elements(string name, long count) => Evaluator.Caps.Elements(name, count, Loc);

    /// <summary>Fails before the built-in builds a longer string than the cap, and charges it to the budget.</summary>
    public void Chars(string name, long length) => Evaluator.Caps.Chars(name, length, Loc);

    /// <summary>A result being built piece by piece has reached <paramref name="count"/> elements; see <see cref="SizeCaps.Within"/>.</summary>
    public void ElementsWithin(string name, long count) => Evaluator.Caps.Within(name, count, Loc);

    /// <summary>A string being built piece by piece has reached <paramref name="length"/> characters; see <see cref="SizeCaps.CharsWithin"/>.</summary>
    public void CharsWithin(string name, long length) => Evaluator.Caps.CharsWithin(name, length, Loc);

    /// <summary>Fails before the built-in writes the value out as text longer than the cap.</summary>
    public void Text(string name, Value v) => Evaluator.Caps.Text(name, v, Loc);

    /// <summary>Work proportional to <paramref name="steps"/> that builds nothing the caps see (e.g. merging objects).</summary>
    public void Work(string name, long steps) => Evaluator.Budget.Charge(steps, name);
}

/// <summary>Returns the result, or null when the call is undefined.</summary>
internal delegate Value? BuiltinFunc(BuiltinCall call, Value[] args);

internal sealed record BuiltinDef(string Name, int Arity, BuiltinFunc Func);

/// <summary>The built-in functions Crane supports, by OPA name.</summary>
internal static partial class Builtins
{
    public static readonly IReadOnlyDictionary<string, BuiltinDef> All = Build();

    private static Dictionary<string, BuiltinDef> Build()
    {
        var d = new Dictionary<string, BuiltinDef>(StringComparer.Ordinal);
        void Add(string name, int arity, BuiltinFunc f) => d[name] = new BuiltinDef(name, arity, f);
        void Add1(string name, Func<string, Value, Value?> f) => Add(name, 1, (_, a) => f(name, a[0]));
        void Add2(string name, Func<string, Value, Value, Value?> f) => Add(name, 2, (_, a) => f(name, a[0], a[1]));
        void Add3(string name, Func<string, Value, Value, Value, Value?> f) => Add(name, 3, (_, a) => f(name, a[0], a[1], a[2]));

        Add2("equal", (_, a, b) => Value.Bool(a.Equals(b)));
        Add2("neq", (_, a, b) => Value.Bool(!a.Equals(b)));
        Add2("lt", (_, a, b) => Value.Bool(Value.Compare(a, b) < 0));
        Add2("lte", (_, a, b) => Value.Bool(Value.Compare(a, b) <= 0));
        Add2("gt", (_, a, b) => Value.Bool(Value.Compare(a, b) > 0));
        Add2("gte", (_, a, b) => Value.Bool(Value.Compare(a, b) >= 0));

        Add2("plus", (n, a, b) => Value.Number(Num(n, a, 1) + Num(n, b, 2)));
        Add2("minus", Minus);
        Add2("mul", (n, a, b) => Value.Number(Num(n, a, 1) * Num(n, b, 2)));
        Add2("div", (n, a, b) =>
        {
            var x = Num(n, a, 1);
            var y = Num(n, b, 2);
            if (y.Sign == 0) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, "div: divide by zero");
            return Value.Number(RegoNumber.Divide(x, y));
        });
        Add2("rem", (n, a, b) =>
        {
            var x = Num(n, a, 1);
            var y = Num(n, b, 2);
            if (!x.IsInteger || !y.IsInteger)
                throw new BuiltinException(RegoErrorCodes.EvalBuiltin, "rem: modulo on floating-point number");
            if (y.Sign == 0) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, "rem: modulo by zero");
            return Value.Number(BigInteger.Remainder(x.ToBigInteger(), y.ToBigInteger()));
        });
        Add1("abs", (n, a) => Value.Number(Num(n, a, 1).Abs()));
        Add1("round", (n, a) => Value.Number(Num(n, a, 1).Round()));
        Add1("ceil", (n, a) => Value.Number(Num(n, a, 1).Ceiling()));
        Add1("floor", (n, a) => Value.Number(Num(n, a, 1).Floor()));
        Add("numbers.range", 2, (c, a) => Range(c, "numbers.range", a[0], a[1], Value.Number(1)));
        Add("numbers.range_step", 3, (c, a) => Range(c, "numbers.range_step", a[0], a[1], a[2]));

        Add2("and", (n, a, b) => { var x = Set(n, a, 1); var y = Set(n, b, 2); return SetValue.From(x.Items.Where(y.Contains)); });
        Add("or", 2, (c, a) =>
        {
            var x = Set("or", a[0], 1);
            var y = Set("or", a[1], 2);
            c.Elements("or", (long)x.Count + y.Count);
            return SetValue.From(x.Items.Concat(y.Items));
        });
        Add1("intersection", (n, a) =>
        {
            var sets = Set(n, a, 1).Items.Select((s, i) => s as SetValue ?? throw TypeErr(n, 1, "set of sets", a)).ToList();
            if (sets.Count == 0) return SetValue.Empty;
            return SetValue.From(sets[0].Items.Where(x => sets.All(s => s.Contains(x))));
        });
        Add("union", 1, (c, a) =>
        {
            var sets = Set("union", a[0], 1).Items.Select(s => s as SetValue ?? throw TypeErr("union", 1, "set of sets", a[0])).ToList();
            c.Elements("union", sets.Sum(s => (long)s.Count));
            return SetValue.From(sets.SelectMany(s => s.Items));
        });

        Add1("count", (n, a) => a switch
        {
            ArrayValue x => Value.Number(x.Count),
            ObjectValue x => Value.Number(x.Count),
            SetValue x => Value.Number(x.Count),
            StringValue s => Value.Number(s.Value.EnumerateRunes().Count()),
            _ => throw TypeErr(n, 1, "one of {array, object, set, string}", a),
        });
        Add1("sum", (n, a) => Value.Number(Collection(n, a).Aggregate(RegoNumber.Zero, (acc, v) => acc + Num(n, v, 1))));
        Add1("product", (n, a) => Value.Number(Collection(n, a).Aggregate(RegoNumber.One, (acc, v) => acc * Num(n, v, 1))));
        Add1("max", (n, a) => { var c = Collection(n, a).ToList(); return c.Count == 0 ? null : c.Max(); });
        Add1("min", (n, a) => { var c = Collection(n, a).ToList(); return c.Count == 0 ? null : c.Min(); });
        Add1("sort", (n, a) => a switch
        {
            ArrayValue x => new ArrayValue(x.Items.OrderBy(v => v).ToArray()),
            SetValue x => new ArrayValue(x.Items.ToArray()),
            _ => throw TypeErr(n, 1, "one of {array, set}", a),
        });
        Add1("any", (n, a) => Value.Bool(Collection(n, a).Any(v => v.Equals(Value.True))));
        Add1("all", (n, a) => Value.Bool(Collection(n, a).All(v => v.Equals(Value.True))));
        Add2("internal.member_2", (_, x, c) => Value.Bool(c switch
        {
            ArrayValue a => a.Items.Any(i => i.Equals(x)),
            SetValue s => s.Contains(x),
            ObjectValue o => o.Pairs.Any(p => p.Value.Equals(x)),
            _ => false,
        }));
        Add3("internal.member_3", (_, k, v, c) => Value.Bool(Evaluator.Lookup(c, k) is { } found && c is not SetValue && found.Equals(v)));

        Add("array.concat", 2, (c, a) =>
        {
            var x = Arr("array.concat", a[0], 1);
            var y = Arr("array.concat", a[1], 2);
            c.Elements("array.concat", (long)x.Count + y.Count);
            return new ArrayValue(x.Items.Concat(y.Items).ToArray());
        });
        Add3("array.slice", (n, a, b, c) =>
        {
            var arr = Arr(n, a, 1);
            var start = Int(n, b, 2);
            var stop = Int(n, c, 3);
            if (start < 0) start = 0;
            if (stop > arr.Count) stop = arr.Count;
            if (start >= stop) return new ArrayValue([]);
            return new ArrayValue(arr.Items.Skip((int)start).Take((int)(stop - start)).ToArray());
        });
        Add1("array.reverse", (n, a) => new ArrayValue(Arr(n, a, 1).Items.Reverse().ToArray()));
        Add("array.flatten", 1, (c, a) =>
        {
            var outer = Arr("array.flatten", a[0], 1);
            // Inner arrays may all be one shared array: count before copying.
            c.Elements("array.flatten", outer.Items.Sum(i => i is ArrayValue inner ? (long)inner.Count : 1));
            var result = new List<Value>();
            foreach (var i in outer.Items)
                if (i is ArrayValue inner) result.AddRange(inner.Items);
                else result.Add(i);
            return new ArrayValue(result);
        });

        Add1("type_name", (_, a) => Value.String(a.TypeName));
        foreach (var t in new[] { "null", "boolean", "number", "string", "array", "object", "set" })
        {
            var typeName = t;
            Add1("is_" + t, (_, a) => a.TypeName == typeName ? Value.True : null);
        }
        Add1("to_number", (n, a) => a switch
        {
            NullValue => Value.Number(0),
            BooleanValue b => Value.Number(b.Value ? 1 : 0),
            NumberValue => a,
            StringValue s => RegoNumber.TryParse(s.Value, out var num) && !s.Value.Contains(' ') && !s.Value.StartsWith('+')
                ? Value.Number(num)
                : throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"to_number: strconv.ParseFloat: parsing {Quote(s.Value)}: invalid syntax"),
            _ => throw TypeErr(n, 1, "one of {null, boolean, number, string}", a),
        });

        Add("time.now_ns", 0, (c, _) => Value.Number(new BigInteger(c.Time.GetUtcNow().ToUnixTimeMilliseconds()) * 1_000_000));
        Add("print", -1, (_, _) => Value.True);
        Add1("http.send", (n, _) => throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: not supported by Crane's embedded engine"));
        Add2("io.jwt.decode_verify", (n, _, _) => throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: not supported by Crane's embedded engine"));
        Add1("walk", (_, _) => null);
        Add("opa.runtime", 0, (_, _) => ObjectValue.Empty);

        AddStrings(Add, Add1, Add2, Add3);
        AddObjects(Add, Add1, Add2, Add3);
        AddEncoding(Add, Add1, Add2, Add3);
        return d;
    }

    private static Value? Minus(string n, Value a, Value b)
    {
        if (a is NumberValue x && b is NumberValue y) return Value.Number(x.Value - y.Value);
        if (a is SetValue s && b is SetValue t) return SetValue.From(s.Items.Where(i => !t.Contains(i)));
        if (a is NumberValue or SetValue)
            throw TypeErr(n, 2, a is NumberValue ? "number" : "set", b);
        throw TypeErr(n, 1, "one of {number, set}", a);
    }

    private static Value Range(BuiltinCall call, string n, Value a, Value b, Value c)
    {
        var from = Num(n, a, 1);
        var to = Num(n, b, 2);
        var step = Num(n, c, 3);
        if (!from.IsInteger) throw TypeErr(n, 1, "integer number", a, "floating-point number");
        if (!to.IsInteger) throw TypeErr(n, 2, "integer number", b, "floating-point number");
        if (!step.IsInteger || step.Sign <= 0)
            throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: step must be a positive integer");
        var result = new List<Value>();
        var x = from.ToBigInteger();
        var end = to.ToBigInteger();
        var s = step.ToBigInteger();
        var count = BigInteger.Abs(end - x) / s + 1;
        call.Elements(n, count > long.MaxValue ? long.MaxValue : (long)count);
        if (x <= end) for (; x <= end; x += s) result.Add(Value.Number(x));
        else for (; x >= end; x -= s) result.Add(Value.Number(x));
        return new ArrayValue(result);
    }

    // ---- walk ----

    public static IEnumerable<Value> Walk(Value root)
    {
        var path = new List<Value>();
        return WalkFrom(root, path);
    }

    private static IEnumerable<Value> WalkFrom(Value v, List<Value> path)
    {
        yield return new ArrayValue([new ArrayValue(path.ToArray()), v]);
        foreach (var (k, child) in Evaluator.Entries(v))
        {
            path.Add(k);
            foreach (var w in WalkFrom(child, path)) yield return w;
            path.RemoveAt(path.Count - 1);
        }
    }

    // ---- argument helpers ----

    internal static BuiltinException TypeErr(string name, int operand, string expected, Value got, string? gotName = null) =>
        new(RegoErrorCodes.EvalType, $"{name}: operand {operand} must be {expected} but got {gotName ?? got.TypeName}");

    internal static RegoNumber Num(string n, Value v, int i) =>
        v is NumberValue x ? x.Value : throw TypeErr(n, i, "number", v);

    internal static string Str(string n, Value v, int i) =>
        v is StringValue x ? x.Value : throw TypeErr(n, i, "string", v);

    internal static ArrayValue Arr(string n, Value v, int i) =>
        v as ArrayValue ?? throw TypeErr(n, i, "array", v);

    internal static SetValue Set(string n, Value v, int i) =>
        v as SetValue ?? throw TypeErr(n, i, "set", v);

    internal static ObjectValue Obj(string n, Value v, int i) =>
        v as ObjectValue ?? throw TypeErr(n, i, "object", v);

    internal static long Int(string n, Value v, int i)
    {
        var num = Num(n, v, i);
        if (!num.IsInteger) throw TypeErr(n, i, "integer number", v, "floating-point number");
        if (!num.TryToLong(out var l)) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: operand {i} is out of range");
        return l;
    }

    internal static IEnumerable<Value> Collection(string n, Value v) => v switch
    {
        ArrayValue a => a.Items,
        SetValue s => s.Items,
        _ => throw TypeErr(n, 1, "one of {array, set}", v),
    };

    internal static string Quote(string s)
    {
        var sb = new StringBuilder();
        Value.WriteJsonString(sb, s);
        return sb.ToString();
    }
}
