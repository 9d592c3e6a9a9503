using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Crane.Rego;

/// <summary>
/// An immutable Rego value. Values are totally ordered as in OPA:
/// null &lt; boolean &lt; number &lt; string &lt; array &lt; object &lt; set.
/// </summary>
public abstract class Value : IEquatable<Value>, IComparable<Value>
{
    internal abstract int Rank { get; }

    /// <summary>OPA's type name: null, boolean, number, string, array, object or set.</summary>
    public abstract string TypeName { get; }

    public static readonly Value Null = new NullValue();
    public static readonly Value True = new BooleanValue(true);
    public static readonly Value False = new BooleanValue(false);
    public static readonly StringValue EmptyString = new(string.Empty);

    public static Value Bool(bool b) => b ? True : False;
    public static Value Number(RegoNumber n) => new NumberValue(n);
    public static Value Number(long n) => new NumberValue(n);
    public static Value String(string s) => new StringValue(s);

    public int CompareTo(Value? other) => Compare(this, other!);

    public static int Compare(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a.Rank != b.Rank) return a.Rank.CompareTo(b.Rank);
        return a.CompareSameKind(b);
    }

    internal abstract int CompareSameKind(Value other);

    public abstract bool Equals(Value? other);
    public override bool Equals(object? obj) => obj is Value v && Equals(v);
    public abstract override int GetHashCode();

    /// <summary>Rego literal syntax, e.g. <c>{"a": [1, 2], "b": {3}}</c>; strings are quoted.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        WriteRego(sb);
        return sb.ToString();
    }

    internal abstract void WriteRego(StringBuilder sb);

    /// <summary>Compact JSON; sets become arrays, non-string object keys their JSON text.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        WriteJson(sb);
        return sb.ToString();
    }

    internal abstract void WriteJson(StringBuilder sb);

    /// <summary>Deepest value <see cref="ToJsonNode"/> reads back; results of evaluation are kept within it.</summary>
    public const int MaxJsonDepth = 1000;

    public JsonNode? ToJsonNode() => JsonNode.Parse(ToJson(), documentOptions: new JsonDocumentOptions { MaxDepth = MaxJsonDepth + 1 });

    public static Value FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => Null,
        JsonValueKind.True => True,
        JsonValueKind.False => False,
        // JSON allows any exponent; past the range Rego numbers keep, the document is not usable.
        JsonValueKind.Number => new NumberValue(RegoNumber.TryParse(e.GetRawText(), out var n) ? n : throw new JsonException($"number {e.GetRawText()} is out of range")),
        JsonValueKind.String => new StringValue(e.GetString()!),
        JsonValueKind.Array => new ArrayValue(e.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.Object => ObjectValue.From(e.EnumerateObject().Select(p => new KeyValuePair<Value, Value>(new StringValue(p.Name), FromJson(p.Value)))),
        _ => throw new ArgumentException($"unsupported JSON value {e.ValueKind}"),
    };

    public static Value FromJson(JsonNode? node)
    {
        if (node is null) return Null;
        using var doc = JsonDocument.Parse(node.ToJsonString(), new JsonDocumentOptions { MaxDepth = 512 });
        return FromJson(doc.RootElement);
    }

    public static Value ParseJson(string json)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 512 });
        return FromJson(doc.RootElement);
    }

    /// <summary>The value with sets turned into arrays and object keys into strings, as JSON sees it.</summary>
    public Value ToJsonValue() => this switch
    {
        SetValue s => new ArrayValue(s.Items.Select(i => i.ToJsonValue()).ToArray()),
        ArrayValue a => new ArrayValue(a.Items.Select(i => i.ToJsonValue()).ToArray()),
        ObjectValue o => ObjectValue.From(o.Pairs.Select(p => new KeyValuePair<Value, Value>(
            p.Key is StringValue ? p.Key : new StringValue(p.Key.ToJson()), p.Value.ToJsonValue()))),
        _ => this,
    };

    internal static void WriteJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '<': sb.Append("\\u003c"); break;
                case '>': sb.Append("\\u003e"); break;
                case '&': sb.Append("\\u0026"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}

public sealed class NullValue : Value
{
    internal NullValue() { }
    internal override int Rank => 0;
    public override string TypeName => "null";
    internal override int CompareSameKind(Value other) => 0;
    public override bool Equals(Value? other) => other is NullValue;
    public override int GetHashCode() => 0;
    internal override void WriteRego(StringBuilder sb) => sb.Append("null");
    internal override void WriteJson(StringBuilder sb) => sb.Append("null");
}

public sealed class BooleanValue : Value
{
    internal BooleanValue(bool value) => Value = value;
    public bool Value { get; }
    internal override int Rank => 1;
    public override string TypeName => "boolean";
    internal override int CompareSameKind(Value other) => Value.CompareTo(((BooleanValue)other).Value);
    public override bool Equals(Value? other) => other is BooleanValue b && b.Value == Value;
    public override int GetHashCode() => Value ? 1 : 2;
    internal override void WriteRego(StringBuilder sb) => sb.Append(Value ? "true" : "false");
    internal override void WriteJson(StringBuilder sb) => WriteRego(sb);
}

public sealed class NumberValue : Value
{
    public NumberValue(RegoNumber value) => Value = value;
    public RegoNumber Value { get; }
    internal override int Rank => 2;
    public override string TypeName => "number";
    internal override int CompareSameKind(Value other) => Value.CompareTo(((NumberValue)other).Value);
    public override bool Equals(Value? other) => other is NumberValue n && n.Value.Equals(Value);
    public override int GetHashCode() => Value.GetHashCode();
    internal override void WriteRego(StringBuilder sb) => sb.Append(Value.ToString());
    internal override void WriteJson(StringBuilder sb) => sb.Append(Value.ToString());
}

public sealed class StringValue : Value
{
    public StringValue(string value) => Value = value;
    public string Value { get; }
    internal override int Rank => 3;
    public override string TypeName => "string";
    internal override int CompareSameKind(Value other) => string.CompareOrdinal(Value, ((StringValue)other).Value);
    public override bool Equals(Value? other) => other is StringValue s && s.Value == Value;
    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);
    internal override void WriteRego(StringBuilder sb) => WriteJsonString(sb, Value);
    internal override void WriteJson(StringBuilder sb) => WriteJsonString(sb, Value);
}

public sealed class ArrayValue : Value
{
    private int _hash;

    public ArrayValue(IReadOnlyList<Value> items) => Items = items;
    public IReadOnlyList<Value> Items { get; }
    public int Count => Items.Count;
    internal override int Rank => 6;
    public override string TypeName => "array";

    internal override int CompareSameKind(Value other)
    {
        var o = (ArrayValue)other;
        int n = Math.Min(Count, o.Count);
        for (int i = 0; i < n; i++)
        {
            int c = Compare(Items[i], o.Items[i]);
            if (c != 0) return c;
        }
        return Count.CompareTo(o.Count);
    }

    public override bool Equals(Value? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is not ArrayValue o || o.Count != Count) return false;
        // Hashes are cached, so unequal values sharing big children differ here without walking them.
        if (GetHashCode() != o.GetHashCode()) return false;
        for (int i = 0; i < Count; i++)
            if (!Items[i].Equals(o.Items[i])) return false;
        return true;
    }

    public override int GetHashCode()
    {
        if (_hash != 0) return _hash;
        var h = new HashCode();
        h.Add(6);
        foreach (var i in Items) h.Add(i.GetHashCode());
        return _hash = h.ToHashCode() | 1;
    }

    internal override void WriteRego(StringBuilder sb)
    {
        sb.Append('[');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(", ");
            Items[i].WriteRego(sb);
        }
        sb.Append(']');
    }

    internal override void WriteJson(StringBuilder sb)
    {
        sb.Append('[');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(',');
            Items[i].WriteJson(sb);
        }
        sb.Append(']');
    }
}

public sealed class ObjectValue : Value
{
    private readonly KeyValuePair<Value, Value>[] _pairs;
    private Dictionary<Value, Value>? _lookup;
    private int _hash;

    public static readonly ObjectValue Empty = new([]);

    private ObjectValue(KeyValuePair<Value, Value>[] sortedPairs) => _pairs = sortedPairs;

    /// <summary>Builds an object; a later pair with the same key replaces an earlier one.</summary>
    public static ObjectValue From(IEnumerable<KeyValuePair<Value, Value>> pairs)
    {
        var d = new Dictionary<Value, Value>();
        foreach (var p in pairs) d[p.Key] = p.Value;
        return FromDictionary(d);
    }

    public static ObjectValue FromDictionary(Dictionary<Value, Value> d)
    {
        var arr = d.ToArray();
        Array.Sort(arr, (a, b) => Compare(a.Key, b.Key));
        return new ObjectValue(arr) { _lookup = d.Count > 8 ? d : null };
    }

    /// <summary>Pairs in key order.</summary>
    public IReadOnlyList<KeyValuePair<Value, Value>> Pairs => _pairs;
    public int Count => _pairs.Length;
    public IEnumerable<Value> Keys => _pairs.Select(p => p.Key);
    internal override int Rank => 7;
    public override string TypeName => "object";

    public Value? Get(Value key)
    {
        if (_pairs.Length <= 8)
        {
            foreach (var p in _pairs)
                if (p.Key.Equals(key)) return p.Value;
            return null;
        }
        _lookup ??= _pairs.ToDictionary(p => p.Key, p => p.Value);
        return _lookup.TryGetValue(key, out var v) ? v : null;
    }

    public Value? Get(string key) => Get(new StringValue(key));

    internal override int CompareSameKind(Value other)
    {
        var o = (ObjectValue)other;
        int n = Math.Min(Count, o.Count);
        for (int i = 0; i < n; i++)
        {
            int c = Compare(_pairs[i].Key, o._pairs[i].Key);
            if (c != 0) return c;
            c = Compare(_pairs[i].Value, o._pairs[i].Value);
            if (c != 0) return c;
        }
        return Count.CompareTo(o.Count);
    }

    public override bool Equals(Value? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is not ObjectValue o || o.Count != Count) return false;
        // Hashes are cached, so unequal values sharing big children differ here without walking them.
        if (GetHashCode() != o.GetHashCode()) return false;
        for (int i = 0; i < Count; i++)
            if (!_pairs[i].Key.Equals(o._pairs[i].Key) || !_pairs[i].Value.Equals(o._pairs[i].Value)) return false;
        return true;
    }

    public override int GetHashCode()
    {
        if (_hash != 0) return _hash;
        var h = new HashCode();
        h.Add(7);
        foreach (var p in _pairs) { h.Add(p.Key.GetHashCode()); h.Add(p.Value.GetHashCode()); }
        return _hash = h.ToHashCode() | 1;
    }

    internal override void WriteRego(StringBuilder sb)
    {
        sb.Append('{');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(", ");
            _pairs[i].Key.WriteRego(sb);
            sb.Append(": ");
            _pairs[i].Value.WriteRego(sb);
        }
        sb.Append('}');
    }

    internal override void WriteJson(StringBuilder sb)
    {
        sb.Append('{');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(',');
            if (_pairs[i].Key is StringValue s) WriteJsonString(sb, s.Value);
            else WriteJsonString(sb, _pairs[i].Key.ToJson());
            sb.Append(':');
            _pairs[i].Value.WriteJson(sb);
        }
        sb.Append('}');
    }
}

public sealed class SetValue : Value
{
    private readonly Value[] _items;
    private HashSet<Value>? _lookup;
    private int _hash;

    public static readonly SetValue Empty = new([]);

    private SetValue(Value[] sorted) => _items = sorted;

    public static SetValue From(IEnumerable<Value> items)
    {
        var hs = items as HashSet<Value> ?? new HashSet<Value>(items);
        var arr = hs.ToArray();
        Array.Sort(arr, Compare);
        return new SetValue(arr) { _lookup = hs.Count > 8 ? hs : null };
    }

    /// <summary>Elements in order.</summary>
    public IReadOnlyList<Value> Items => _items;
    public int Count => _items.Length;
    internal override int Rank => 8;
    public override string TypeName => "set";

    public bool Contains(Value v)
    {
        if (_items.Length <= 8)
        {
            foreach (var i in _items)
                if (i.Equals(v)) return true;
            return false;
        }
        _lookup ??= new HashSet<Value>(_items);
        return _lookup.Contains(v);
    }

    internal override int CompareSameKind(Value other)
    {
        var o = (SetValue)other;
        int n = Math.Min(Count, o.Count);
        for (int i = 0; i < n; i++)
        {
            int c = Compare(_items[i], o._items[i]);
            if (c != 0) return c;
        }
        return Count.CompareTo(o.Count);
    }

    public override bool Equals(Value? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is not SetValue o || o.Count != Count) return false;
        // Hashes are cached, so unequal values sharing big children differ here without walking them.
        if (GetHashCode() != o.GetHashCode()) return false;
        for (int i = 0; i < Count; i++)
            if (!_items[i].Equals(o._items[i])) return false;
        return true;
    }

    public override int GetHashCode()
    {
        if (_hash != 0) return _hash;
        var h = new HashCode();
        h.Add(8);
        foreach (var i in _items) h.Add(i.GetHashCode());
        return _hash = h.ToHashCode() | 1;
    }

    internal override void WriteRego(StringBuilder sb)
    {
        if (Count == 0) { sb.Append("set()"); return; }
        sb.Append('{');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(", ");
            _items[i].WriteRego(sb);
        }
        sb.Append('}');
    }

    internal override void WriteJson(StringBuilder sb)
    {
        sb.Append('[');
        for (int i = 0; i < Count; i++)
        {
            if (i > 0) sb.Append(',');
            _items[i].WriteJson(sb);
        }
        sb.Append(']');
    }
}
