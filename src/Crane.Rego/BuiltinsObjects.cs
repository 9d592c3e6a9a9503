using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace Crane.Rego;

internal static partial class Builtins
{
    private static void AddObjects(
        Action<string, int, BuiltinFunc> add,
        Action<string, Func<string, Value, Value?>> add1,
        Action<string, Func<string, Value, Value, Value?>> add2,
        Action<string, Func<string, Value, Value, Value, Value?>> add3)
    {
        add3("object.get", (n, o, k, dflt) =>
        {
            var obj = Obj(n, o, 1);
            if (k is ArrayValue path)
            {
                Value cur = obj;
                foreach (var seg in path.Items)
                {
                    var next = Evaluator.Lookup(cur, seg);
                    if (next is null) return dflt;
                    cur = next;
                }
                return cur;
            }
            return obj.Get(k) ?? dflt;
        });
        add2("object.remove", (n, o, k) =>
        {
            var obj = Obj(n, o, 1);
            var keys = KeySet(n, k, 2);
            return ObjectValue.From(obj.Pairs.Where(p => !keys.Contains(p.Key)));
        });
        add2("object.filter", (n, o, k) =>
        {
            var obj = Obj(n, o, 1);
            var keys = KeySet(n, k, 2);
            return ObjectValue.From(obj.Pairs.Where(p => keys.Contains(p.Key)));
        });
        add("object.union", 2, (call, a) => Union(call, "object.union", Obj("object.union", a[0], 1), Obj("object.union", a[1], 2)));
        add("object.union_n", 1, (call, a) =>
        {
            const string n = "object.union_n";
            var arr = Arr(n, a[0], 1);
            var acc = ObjectValue.Empty;
            foreach (var x in arr.Items) acc = Union(call, n, acc, x as ObjectValue ?? throw TypeErr(n, 1, "array of objects", a[0], $"array containing {x.TypeName}"));
            return acc;
        });
        add1("object.keys", (n, o) => SetValue.From(Obj(n, o, 1).Keys));
        add2("json.filter", (n, o, p) =>
        {
            var obj = Obj(n, o, 1);
            var tree = PathTree(n, p);
            return Filter(obj, tree);
        });
        add2("json.remove", (n, o, p) =>
        {
            var obj = Obj(n, o, 1);
            var tree = PathTree(n, p);
            return Remove(obj, tree);
        });
        add("json.patch", 2, (call, a) =>
        {
            const string n = "json.patch";
            var p = a[1];
            var ops = Arr(n, p, 2);
            var cur = a[0];
            foreach (var op in ops.Items)
            {
                var next = ApplyPatch(call, n, cur, op as ObjectValue ?? throw TypeErr(n, 2, "array of objects", p));
                if (next is null) return null;
                cur = next;
            }
            return cur;
        });
        add("json.marshal", 1, (call, a) =>
        {
            call.Text("json.marshal", a[0]);
            return Value.String(a[0].ToJson());
        });
        add("json.marshal_with_options", 2, (call, a) =>
        {
            const string n = "json.marshal_with_options";
            var v = a[0];
            var opts = Obj(n, a[1], 2);
            bool pretty = false;
            string indent = "\t", prefix = "";
            bool indentSet = false, prefixSet = false;
            foreach (var (k, val) in opts.Pairs.Select(p => (p.Key, p.Value)))
            {
                var key = k is StringValue ks ? ks.Value : k.ToString();
                switch (key)
                {
                    case "pretty": pretty = val is BooleanValue { Value: true }; break;
                    case "indent": indent = Str(n, val, 2); indentSet = true; break;
                    case "prefix": prefix = Str(n, val, 2); prefixSet = true; break;
                    default: throw new BuiltinException(RegoErrorCodes.EvalType, $"{n}: object contained unknown key {Quote(key)}");
                }
            }
            call.Text(n, v);
            if (!pretty && !indentSet && !prefixSet) return Value.String(v.ToJson());
            if (opts.Get("pretty") is BooleanValue { Value: false }) return Value.String(v.ToJson());
            var sb = new StringBuilder(prefix);
            WritePretty(sb, v, prefix, indent, 0, call);
            call.Chars(n, sb.Length);
            return Value.String(sb.ToString());
        });
        add("json.unmarshal", 1, (call, a) =>
        {
            const string n = "json.unmarshal";
            var text = Str(n, a[0], 1);
            // Every element of the result takes at least one character of the text.
            call.Work(n, text.Length / 16);
            try { return Value.ParseJson(text); }
            catch (JsonException e) { throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: {e.Message}"); }
        });
        add1("yaml.is_valid", (n, s) =>
        {
            if (s is not StringValue str) return Value.False;
            // YAML forbids tabs for indentation; YamlDotNet is lenient about it.
            if (str.Value.Split('\n').Any(line => line.StartsWith('\t'))) return Value.False;
            try
            {
                if (YamlDepth(str.Value) > MaxYamlDepth) return Value.False;
                new YamlDotNet.RepresentationModel.YamlStream().Load(new StringReader(str.Value));
                return Value.True;
            }
            catch (YamlDotNet.Core.YamlException) { return Value.False; }
        });
        add1("json.is_valid", (n, s) =>
        {
            if (s is not StringValue str) return Value.False;
            try { _ = Value.ParseJson(str.Value); return Value.True; }
            catch (JsonException) { return Value.False; }
        });
    }

    // YamlStream.Load recurses once per nesting level: a string of 100,000 '[' overflowed the stack.
    private const int MaxYamlDepth = 128;

    // Nesting read from the parser's events, which come from an explicit state stack rather than recursion.
    private static int YamlDepth(string text)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        int depth = 0, deepest = 0;
        while (parser.MoveNext() && deepest <= MaxYamlDepth)
        {
            if (parser.Current is YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart) deepest = Math.Max(deepest, ++depth);
            else if (parser.Current is YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd) depth--;
        }
        return deepest;
    }

    private static void WritePretty(StringBuilder sb, Value v, string prefix, string indent, int depth, BuiltinCall call)
    {
        // Indentation repeats per level and per line: check the length before each new line.
        string Nl(int d)
        {
            call.CharsWithin("json.marshal_with_options", sb.Length + 1 + prefix.Length + (long)indent.Length * d);
            return "\n" + prefix + string.Concat(Enumerable.Repeat(indent, d));
        }
        switch (v)
        {
            case ObjectValue o when o.Count > 0:
                sb.Append('{');
                for (int i = 0; i < o.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    sb.Append(Nl(depth + 1));
                    var k = o.Pairs[i].Key;
                    Value.WriteJsonString(sb, k is StringValue ks ? ks.Value : k.ToJson());
                    sb.Append(": ");
                    WritePretty(sb, o.Pairs[i].Value, prefix, indent, depth + 1, call);
                }
                sb.Append(Nl(depth)).Append('}');
                break;
            case ArrayValue or SetValue when Evaluator.Entries(v).Any():
                sb.Append('[');
                int j = 0;
                foreach (var (_, x) in Evaluator.Entries(v))
                {
                    if (j++ > 0) sb.Append(',');
                    sb.Append(Nl(depth + 1));
                    WritePretty(sb, x, prefix, indent, depth + 1, call);
                }
                sb.Append(Nl(depth)).Append(']');
                break;
            default:
                v.WriteJson(sb);
                break;
        }
    }

    private static HashSet<Value> KeySet(string n, Value k, int i) => k switch
    {
        ArrayValue a => new HashSet<Value>(a.Items),
        SetValue s => new HashSet<Value>(s.Items),
        ObjectValue o => new HashSet<Value>(o.Keys),
        _ => throw TypeErr(n, i, "one of {object, set, array}", k),
    };

    private static ObjectValue Union(BuiltinCall call, string n, ObjectValue a, ObjectValue b)
    {
        // Both objects are copied at every level they share, so each level costs its size.
        call.Elements(n, (long)a.Count + b.Count);
        var d = a.Pairs.ToDictionary(p => p.Key, p => p.Value);
        foreach (var p in b.Pairs)
        {
            if (d.TryGetValue(p.Key, out var existing) && existing is ObjectValue eo && p.Value is ObjectValue po)
                d[p.Key] = Union(call, n, eo, po);
            else d[p.Key] = p.Value;
        }
        return ObjectValue.FromDictionary(d);
    }

    private sealed class PathNode
    {
        public Dictionary<string, PathNode> Children { get; } = new(StringComparer.Ordinal);
        public bool Leaf { get; set; }
    }

    private static PathNode PathTree(string n, Value p)
    {
        IEnumerable<Value> items = p switch
        {
            ArrayValue a => a.Items,
            SetValue s => s.Items,
            _ => throw TypeErr(n, 2, "one of {set, array}", p),
        };
        var root = new PathNode();
        foreach (var item in items)
        {
            List<string> segs;
            if (item is StringValue s) segs = s.Value.TrimStart('/').Split('/').ToList();
            else if (item is ArrayValue arr)
                segs = arr.Items.Select(x => x is StringValue xs ? xs.Value : x is NumberValue xn ? xn.Value.ToString()
                    : throw new BuiltinException(RegoErrorCodes.EvalType, $"{n}: operand 2 must be one of {{set, array}} containing string paths or array of path segments but got array containing {x.TypeName}")).ToList();
            else throw new BuiltinException(RegoErrorCodes.EvalType, $"{n}: operand 2 must be one of {{set, array}} containing string paths or array of path segments but got {item.TypeName}");
            var node = root;
            foreach (var seg in segs)
            {
                if (!node.Children.TryGetValue(seg, out var c)) node.Children[seg] = c = new PathNode();
                node = c;
            }
            node.Leaf = true;
        }
        return root;
    }

    private static string SegOf(Value k) => k is StringValue s ? s.Value : k.ToString();

    private static Value Filter(Value v, PathNode node)
    {
        if (node.Leaf) return v;
        switch (v)
        {
            case ObjectValue o:
                return ObjectValue.From(o.Pairs.Where(p => node.Children.ContainsKey(SegOf(p.Key)))
                    .Select(p => new KeyValuePair<Value, Value>(p.Key, Filter(p.Value, node.Children[SegOf(p.Key)]))));
            case ArrayValue a:
                return new ArrayValue(a.Items.Select((x, i) => (x, i)).Where(t => node.Children.ContainsKey(t.i.ToString(CultureInfo.InvariantCulture)))
                    .Select(t => Filter(t.x, node.Children[t.i.ToString(CultureInfo.InvariantCulture)])).ToArray());
            case SetValue s:
                return SetValue.From(s.Items.Where(x => node.Children.ContainsKey(SegOf(x))).Select(x => Filter(x, node.Children[SegOf(x)])));
            default:
                return v;
        }
    }

    private static Value Remove(Value v, PathNode node)
    {
        switch (v)
        {
            case ObjectValue o:
                return ObjectValue.From(o.Pairs
                    .Where(p => !(node.Children.TryGetValue(SegOf(p.Key), out var c) && c.Leaf))
                    .Select(p => new KeyValuePair<Value, Value>(p.Key, node.Children.TryGetValue(SegOf(p.Key), out var c) ? Remove(p.Value, c) : p.Value)));
            case ArrayValue a:
                return new ArrayValue(a.Items.Select((x, i) => (x, key: i.ToString(CultureInfo.InvariantCulture)))
                    .Where(t => !(node.Children.TryGetValue(t.key, out var c) && c.Leaf))
                    .Select(t => node.Children.TryGetValue(t.key, out var c) ? Remove(t.x, c) : t.x).ToArray());
            case SetValue s:
                return SetValue.From(s.Items.Where(x => !(node.Children.TryGetValue(SegOf(x), out var c) && c.Leaf))
                    .Select(x => node.Children.TryGetValue(SegOf(x), out var c) ? Remove(x, c) : x));
            default:
                return v;
        }
    }

    private static List<string> PointerOf(string n, Value p)
    {
        if (p is ArrayValue a) return a.Items.Select(SegOf).ToList();
        var s = Str(n, p, 2);
        if (s.Length == 0) return [];
        if (!s.StartsWith('/')) s = "/" + s;
        return s[1..].Split('/').Select(x => x.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static Value? ApplyPatch(BuiltinCall call, string n, Value doc, ObjectValue op)
    {
        var kind = op.Get("op") is StringValue o ? o.Value : null;
        var pathV = op.Get("path");
        if (kind is null || pathV is null) return null;
        var path = PointerOf(n, pathV);
        // An operation copies every collection along its path (and its from path).
        call.Work(n, CopyCost(doc, path) + (op.Get("from") is { } f ? CopyCost(doc, PointerOf(n, f)) : 0));
        switch (kind)
        {
            case "add":
                return op.Get("value") is { } av ? PatchAt(doc, path, 0, av, add: true) : null;
            case "replace":
                if (Get(doc, path) is null) return null;
                return op.Get("value") is { } rv ? PatchAt(doc, path, 0, rv, add: false) : null;
            case "remove":
                return Get(doc, path) is null ? null : RemoveAt(doc, path, 0);
            case "test":
                return Get(doc, path) is { } tv && op.Get("value") is { } want && tv.Equals(want) ? doc : null;
            case "move":
            case "copy":
            {
                if (op.Get("from") is not { } fromV) return null;
                var from = PointerOf(n, fromV);
                var v = Get(doc, from);
                if (v is null) return null;
                var d = kind == "move" ? RemoveAt(doc, from, 0) : doc;
                return d is null ? null : PatchAt(d, path, 0, v, add: true);
            }
        }
        return null;
    }

    // JSON pointer array indexes have no leading zeros.
    private static bool Index(string seg, out int i)
    {
        i = -1;
        if (seg.Length > 1 && seg[0] == '0') return false;
        return int.TryParse(seg, NumberStyles.None, CultureInfo.InvariantCulture, out i);
    }

    private static Value? Get(Value doc, List<string> path)
    {
        Value? cur = doc;
        foreach (var seg in path)
        {
            cur = cur switch
            {
                ObjectValue o => o.Get(seg),
                ArrayValue a => Index(seg, out var i) && i < a.Count ? a.Items[i] : null,
                SetValue s => s.Items.FirstOrDefault(x => SegOf(x) == seg),
                _ => null,
            };
            if (cur is null) return null;
        }
        return cur;
    }

    private static long CopyCost(Value doc, List<string> path)
    {
        long cost = 1;
        Value? cur = doc;
        foreach (var seg in path)
        {
            if (cur is null) break;
            cost += 1 + cur switch { ObjectValue o => o.Count, ArrayValue a => a.Count, SetValue s => s.Count, _ => 0 };
            cur = Get(cur, [seg]);
        }
        return cost;
    }

    private static Value? PatchAt(Value doc, List<string> path, int i, Value v, bool add)
    {
        if (i == path.Count) return v;
        var seg = path[i];
        switch (doc)
        {
            case ObjectValue o:
            {
                var key = Value.String(seg);
                if (i == path.Count - 1)
                    return ObjectValue.From(o.Pairs.Where(p => !p.Key.Equals(key)).Append(new(key, v)));
                var child = o.Get(key);
                if (child is null) return null;
                var nc = PatchAt(child, path, i + 1, v, add);
                return nc is null ? null : ObjectValue.From(o.Pairs.Where(p => !p.Key.Equals(key)).Append(new(key, nc)));
            }
            case ArrayValue a:
            {
                var items = a.Items.ToList();
                if (i == path.Count - 1)
                {
                    if (seg == "-" && add) { items.Add(v); return new ArrayValue(items); }
                    if (!Index(seg, out var idx)) return null;
                    if (add)
                    {
                        if (idx > items.Count) return null;
                        items.Insert(idx, v);
                    }
                    else
                    {
                        if (idx >= items.Count) return null;
                        items[idx] = v;
                    }
                    return new ArrayValue(items);
                }
                if (!Index(seg, out var ci) || ci >= items.Count) return null;
                var nc = PatchAt(items[ci], path, i + 1, v, add);
                if (nc is null) return null;
                items[ci] = nc;
                return new ArrayValue(items);
            }
            case SetValue s:
            {
                if (i == path.Count - 1) return SegOf(v) == seg ? SetValue.From(s.Items.Append(v)) : null;
                var member = s.Items.FirstOrDefault(x => SegOf(x) == seg);
                if (member is null) return null;
                var nc = PatchAt(member, path, i + 1, v, add);
                return nc is null ? null : SetValue.From(s.Items.Where(x => !x.Equals(member)).Append(nc));
            }
        }
        return null;
    }

    private static Value? RemoveAt(Value doc, List<string> path, int i)
    {
        if (path.Count == 0) return null;
        var seg = path[i];
        bool last = i == path.Count - 1;
        switch (doc)
        {
            case ObjectValue o:
            {
                var key = Value.String(seg);
                var child = o.Get(key);
                if (child is null) return null;
                if (last) return ObjectValue.From(o.Pairs.Where(p => !p.Key.Equals(key)));
                var nc = RemoveAt(child, path, i + 1);
                return nc is null ? null : ObjectValue.From(o.Pairs.Where(p => !p.Key.Equals(key)).Append(new(key, nc)));
            }
            case ArrayValue a:
            {
                if (!Index(seg, out var idx) || idx >= a.Count) return null;
                var items = a.Items.ToList();
                if (last) { items.RemoveAt(idx); return new ArrayValue(items); }
                var nc = RemoveAt(items[idx], path, i + 1);
                if (nc is null) return null;
                items[idx] = nc;
                return new ArrayValue(items);
            }
            case SetValue s:
            {
                var member = s.Items.FirstOrDefault(x => SegOf(x) == seg);
                if (member is null) return null;
                if (last) return SetValue.From(s.Items.Where(x => !x.Equals(member)));
                var nc = RemoveAt(member, path, i + 1);
                return nc is null ? null : SetValue.From(s.Items.Where(x => !x.Equals(member)).Append(nc));
            }
        }
        return null;
    }

    private static void AddEncoding(
        Action<string, int, BuiltinFunc> add,
        Action<string, Func<string, Value, Value?>> add1,
        Action<string, Func<string, Value, Value, Value?>> add2,
        Action<string, Func<string, Value, Value, Value, Value?>> add3)
    {
        add1("base64.encode", (n, a) => Value.String(Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(n, a, 1)))));
        add1("base64.decode", (n, a) =>
        {
            try { return Value.String(Encoding.UTF8.GetString(Convert.FromBase64String(Str(n, a, 1)))); }
            catch (FormatException) { throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: illegal base64 data"); }
        });
        add1("base64.is_valid", (n, a) =>
        {
            if (a is not StringValue s) return Value.False;
            try { _ = Convert.FromBase64String(s.Value); return Value.True; }
            catch (FormatException) { return Value.False; }
        });
        add1("base64url.encode", (n, a) => Value.String(Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(n, a, 1))).Replace('+', '-').Replace('/', '_')));
        add1("base64url.encode_no_pad", (n, a) => Value.String(Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(n, a, 1))).Replace('+', '-').Replace('/', '_').TrimEnd('=')));
        add1("base64url.decode", (n, a) =>
        {
            var s = Str(n, a, 1).Replace('-', '+').Replace('_', '/');
            if (s.Length % 4 != 0) s += new string('=', 4 - s.Length % 4);
            try { return Value.String(Encoding.UTF8.GetString(Convert.FromBase64String(s))); }
            catch (FormatException) { throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: illegal base64 data"); }
        });

        add2("bits.and", (n, a, b) => Value.Number(BigInt(n, a, 1) & BigInt(n, b, 2)));
        add2("bits.or", (n, a, b) => Value.Number(BigInt(n, a, 1) | BigInt(n, b, 2)));
        add2("bits.xor", (n, a, b) => Value.Number(BigInt(n, a, 1) ^ BigInt(n, b, 2)));
        add1("bits.negate", (n, a) => Value.Number(-BigInt(n, a, 1) - 1));
        add2("bits.lsh", (n, a, b) => Value.Number(BigInt(n, a, 1) << Shift(n, b)));
        add2("bits.rsh", (n, a, b) => Value.Number(BigInt(n, a, 1) >> Shift(n, b)));

        add2("semver.compare", (n, a, b) =>
        {
            var x = SemVer.Parse(Str(n, a, 1)) ?? throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: operand 1: string {Quote(((StringValue)a).Value)} is not a valid SemVer");
            var y = SemVer.Parse(Str(n, b, 2)) ?? throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: operand 2: string {Quote(((StringValue)b).Value)} is not a valid SemVer");
            return Value.Number(Math.Sign(x.CompareTo(y)));
        });
        add1("semver.is_valid", (_, a) => Value.Bool(a is StringValue s && SemVer.Parse(s.Value) is not null));

        add1("units.parse", (n, a) => Value.Number(Units.Parse(n, Str(n, a, 1), bytes: false)));
        add1("units.parse_bytes", (n, a) => Value.Number(Units.Parse(n, Str(n, a, 1), bytes: true)));
    }

    private static BigInteger BigInt(string n, Value v, int i)
    {
        var num = Num(n, v, i);
        if (!num.IsInteger) throw TypeErr(n, i, "integer number", v, "floating-point number");
        return num.ToBigInteger();
    }

    private static int Shift(string n, Value v)
    {
        var s = BigInt(n, v, 2);
        if (s.Sign < 0) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: operand 2 must be an unsigned integer number but got a negative integer");
        if (s > 4096) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: shift too large");
        return (int)s;
    }
}

/// <summary>Strict semantic version (semver.org 2.0.0).</summary>
internal sealed record SemVer(BigInteger Major, BigInteger Minor, BigInteger Patch, IReadOnlyList<string> Pre) : IComparable<SemVer>
{
    public static SemVer? Parse(string s)
    {
        var plus = s.IndexOf('+');
        if (plus >= 0)
        {
            var build = s[(plus + 1)..];
            if (build.Length == 0 || build.Split('.').Any(p => p.Length == 0 || !p.All(IsIdentChar))) return null;
            s = s[..plus];
        }
        List<string> pre = [];
        var dash = s.IndexOf('-');
        if (dash >= 0)
        {
            var p = s[(dash + 1)..];
            if (p.Length == 0) return null;
            pre = p.Split('.').ToList();
            foreach (var id in pre)
            {
                if (id.Length == 0 || !id.All(IsIdentChar)) return null;
                if (id.All(char.IsAsciiDigit) && id.Length > 1 && id[0] == '0') return null;
            }
            s = s[..dash];
        }
        var parts = s.Split('.');
        if (parts.Length != 3) return null;
        var nums = new BigInteger[3];
        for (int i = 0; i < 3; i++)
        {
            var p = parts[i];
            if (p.Length == 0 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')) return null;
            nums[i] = BigInteger.Parse(p, CultureInfo.InvariantCulture);
        }
        return new SemVer(nums[0], nums[1], nums[2], pre);
    }

    private static bool IsIdentChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-';

    public int CompareTo(SemVer? other)
    {
        if (other is null) return 1;
        int c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        if (Pre.Count == 0 && other.Pre.Count == 0) return 0;
        if (Pre.Count == 0) return 1;
        if (other.Pre.Count == 0) return -1;
        for (int i = 0; i < Math.Min(Pre.Count, other.Pre.Count); i++)
        {
            var a = Pre[i];
            var b = other.Pre[i];
            bool an = a.All(char.IsAsciiDigit), bn = b.All(char.IsAsciiDigit);
            if (an && bn) c = BigInteger.Parse(a, CultureInfo.InvariantCulture).CompareTo(BigInteger.Parse(b, CultureInfo.InvariantCulture));
            else if (an) c = -1;
            else if (bn) c = 1;
            else c = string.CompareOrdinal(a, b);
            if (c != 0) return c;
        }
        return Pre.Count.CompareTo(other.Pre.Count);
    }
}

/// <summary>units.parse (SI and binary suffixes, "m" for milli) and units.parse_bytes.</summary>
internal static class Units
{
    public static RegoNumber Parse(string name, string input, bool bytes)
    {
        var s = input.Replace("\"", "", StringComparison.Ordinal);
        if (s.Contains(' ')) throw Err(name, "spaces not allowed in resource strings");
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.' || (i == 0 && (s[i] == '-' || s[i] == '+')))) i++;
        var numPart = s[..i];
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E') && i + 1 < s.Length &&
            (char.IsAsciiDigit(s[i + 1]) || ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < s.Length && char.IsAsciiDigit(s[i + 2]))))
        {
            int j = i + 1;
            if (s[j] == '-' || s[j] == '+') j++;
            while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
            numPart = s[..j];
            i = j;
        }
        var suffix = s[i..];
        if (numPart.Trim('+', '-').Length == 0)
            throw Err(name, bytes ? "no byte amount provided" : "no amount provided");
        if (numPart.Count(c => c == '.') > 1 || !RegoNumber.TryParse(numPart, out var amount))
        {
            if (numPart.Contains('e') || numPart.Contains('E')) throw Err(name, "exponent too large");
            throw Err(name, bytes ? "could not parse byte amount to a number" : "could not parse amount to a number");
        }
        if (Math.Abs((long)amount.Exponent) > 1000) throw Err(name, "exponent too large");
        var mult = bytes ? ByteMultiplier(suffix) : Multiplier(suffix);
        if (mult is null) throw Err(name, bytes ? "byte unit not recognized" : "unit not recognized");
        var result = amount * mult.Value;
        if (bytes) result = result.Floor();
        return result;
    }

    private static BuiltinException Err(string name, string msg) => new(RegoErrorCodes.EvalBuiltin, $"{name}: {msg}");

    private static RegoNumber Pow(int b, int e) => new(BigInteger.Pow(b, e), 0);

    private static RegoNumber? Multiplier(string suffix)
    {
        if (suffix == "m") return new RegoNumber(1, -3);
        if (suffix.Length == 0) return RegoNumber.One;
        var lower = suffix.ToLowerInvariant();
        return lower switch
        {
            "k" => Pow(10, 3), "ki" => Pow(2, 10),
            "m" => Pow(10, 6), "mi" => Pow(2, 20),
            "g" => Pow(10, 9), "gi" => Pow(2, 30),
            "t" => Pow(10, 12), "ti" => Pow(2, 40),
            "p" => Pow(10, 15), "pi" => Pow(2, 50),
            "e" => Pow(10, 18), "ei" => Pow(2, 60),
            _ => null,
        };
    }

    private static RegoNumber? ByteMultiplier(string suffix)
    {
        var lower = suffix.ToLowerInvariant();
        if (lower.EndsWith('b')) lower = lower[..^1];
        return lower switch
        {
            "" => RegoNumber.One,
            "k" => Pow(10, 3), "ki" => Pow(2, 10),
            "m" => Pow(10, 6), "mi" => Pow(2, 20),
            "g" => Pow(10, 9), "gi" => Pow(2, 30),
            "t" => Pow(10, 12), "ti" => Pow(2, 40),
            "p" => Pow(10, 15), "pi" => Pow(2, 50),
            "e" => Pow(10, 18), "ei" => Pow(2, 60),
            _ => null,
        };
    }
}
