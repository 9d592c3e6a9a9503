using FsCheck;
using FsCheck.Fluent;

namespace Crane.Rego.Tests.Fuzz;

/// <summary>FsCheck generators of Rego text: character and token soup, terms, built-in calls, mutations and deep nesting.</summary>
internal static class RegoGen
{
    private static readonly string[] Alphabet =
    [
        "a", "x", "_", "0", "1", "9", "e", ".", " ", " ", "\n", "\t", "\"", "`", "$", "\\", "{", "}", "[", "]", "(", ")",
        ":", "=", ",", ";", "|", "+", "-", "*", "/", "%", "&", "<", ">", "!", "#", "ü", "😀", "\0",
    ];

    private static readonly string[] Tokens =
    [
        "package", "import", "rego.v1", "if", "contains", "else", "with", "as", "not", "some", "every", "in", "default",
        "x", "y", "p", "f", "input", "data", "input.a", "data.p.x", "count", "sum", "numbers.range", "sprintf", "concat",
        "true", "false", "null", "set()", "0", "1", "-1", "2.5", "1e400", "1e100000", "1e-100000", "123456789012345678901234567890",
        "\"a\"", "\"%d\"", "\"\"", "`raw`", "$\"t{x}\"", "\"\\u00e9\"", ":=", "=", "==", "!=", "<", "<=", "+", "-", "*", "/", "%",
        "&", "|", "{", "}", "[", "]", "(", ")", ",", ";", ":", ".", "_", "\n",
    ];

    private static readonly string[] Numbers =
    [
        "0", "1", "-1", "2", "3", "7", "2.5", "-0.25", "0.1", "1e3", "1e21", "1e400", "100000", "100001", "10000000", "-10000000",
        "123456789012345678901234567890", "1e100000", "1.5e-7", "4096", "4097", "64",
    ];

    private static readonly string[] Strings =
    [
        "\"\"", "\"a\"", "\"abc\"", "\"a,b,c\"", "\",\"", "\"%d\"", "\"%v %s\"", "\"%1000000000d\"", "\"%99999999999d\"", "\"%.999999999f\"",
        "\"%-30s|%05d|%x|%q|%e|%g|%t\"", "\"%\"", "\"%!\"", "\"ü😀\"", "\"\\u0041\"", "\"[1,2]\"", "\"{\\\"a\\\": [1, {\\\"b\\\": null}]}\"",
        "\"^a+$\"", "\"(a+)+$\"", "\"(?P<n>a)|b\"", "\"[\"", "\"1.2.3\"", "\"1.2.3-rc.1+b\"", "\"10Mi\"", "\"1e9999\"", "\"/a/b\"",
        "\"a/b\"", "\"YWJj\"", "\"not base64!\"", "\"0x1f\"", "\"  pad  \"", "\"$1-${n}\"", "\"\\n\\t\"", "\"1e999999\"", "\"[1e999999]\"",
    ];

    /// <summary>Random characters, mostly ones that mean something in Rego.</summary>
    public static Gen<string> CharacterSoup() =>
        Gen.ListOf(Gen.Elements(Alphabet)).Select(cs => string.Concat(cs));

    /// <summary>Rego tokens in random order, often after a package line so that the parser gets past the header.</summary>
    public static Gen<string> TokenSoup() =>
        from header in Gen.Elements("", "package p\n", "package p\nimport rego.v1\n")
        from tokens in Gen.ListOf(Gen.Elements(Tokens))
        from separator in Gen.Elements(" ", "\n", "")
        select header + string.Join(separator, tokens);

    /// <summary>An argument for one built-in: mostly the edge-case strings and numbers, sometimes any term.</summary>
    public static Gen<string> Argument() => Gen.Frequency(
        (5, Gen.Elements(Strings)),
        (4, Gen.Elements(Numbers)),
        (1, Gen.Elements("null", "true", "set()", "[]", "{}", "{\"a\": 1}", "[1, \"a\"]", "{\"a\", \"b\"}")),
        (3, Term()));

    /// <summary>A Rego term: scalars, collections, comprehensions and nested built-in calls, up to the generator's size.</summary>
    public static Gen<string> Term() => Gen.Sized(size => TermOfSize(Math.Min(size, 12)));

    private static Gen<string> TermOfSize(int size)
    {
        var scalar = Gen.OneOf(
            Gen.Elements(Numbers),
            Gen.Elements(Strings),
            Gen.Elements("null", "true", "false", "set()", "[]", "{}", "input", "input.a", "input.workload", "input.s"));
        if (size <= 1) return scalar;
        var smaller = TermOfSize(size / 2);
        var items = Gen.ListOf(smaller).Select(l => string.Join(", ", l.Take(4)));
        return Gen.Frequency(
            (4, scalar),
            (1, items.Select(i => $"[{i}]")),
            (1, items.Select(i => i.Length == 0 ? "set()" : $"{{{i}}}")),
            (1, from k in smaller from v in smaller select $"{{{k}: {v}}}"),
            (1, from n in Gen.Elements(Numbers) from v in smaller select $"[{v} | some i in numbers.range(1, {n})]"),
            (2, Call(smaller)));
    }

    /// <summary>A call of a random built-in with random arguments (sometimes the wrong number of them).</summary>
    public static Gen<string> Call(Gen<string> argument) =>
        from def in Gen.Elements(Builtins.All.Values.ToArray())
        from extra in Gen.Frequency((9, Gen.Constant(0)), (1, Gen.Choose(-1, 1)))
        from args in Gen.ArrayOf(argument, Math.Max(0, (def.Arity < 0 ? 2 : def.Arity) + extra))
        select $"{def.Name}({string.Join(", ", args)})";

    /// <summary>The real policy text with one to three random edits.</summary>
    public static Gen<string> Mutation(string source) =>
        from edits in Gen.Choose(1, 3)
        from seeds in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), edits)
        from tokens in Gen.ArrayOf(Gen.Elements(Tokens), edits)
        from numbers in Gen.ArrayOf(Gen.Elements(Numbers), edits)
        select Apply(source, seeds, tokens, numbers);

    private static string Apply(string source, int[] seeds, string[] tokens, string[] numbers)
    {
        var s = source;
        for (int i = 0; i < seeds.Length; i++)
        {
            var rnd = new System.Random(seeds[i]);
            int at = s.Length == 0 ? 0 : rnd.Next(s.Length);
            int len = s.Length == 0 ? 0 : rnd.Next(Math.Min(40, s.Length - at) + 1);
            s = rnd.Next(7) switch
            {
                0 => s.Remove(at, len),
                1 => s.Insert(at, s.Substring(at, len)),
                2 => s.Insert(at, " " + tokens[i] + " "),
                3 => s[..at] + string.Concat(s[at..].Select((c, j) => char.IsAsciiDigit(c) && j < 20 ? numbers[i][0] : c)),
                4 => ReplaceNumber(s, at, numbers[i]),
                5 => s.Length > 1 && at + 1 < s.Length ? s[..at] + s[at + 1] + s[at] + s[(at + 2)..] : s,
                _ => s[..at],
            };
        }
        return s;
    }

    // The first number at or after the position becomes another (huge, negative, fractional) one.
    private static string ReplaceNumber(string s, int at, string number)
    {
        int start = at;
        while (start < s.Length && !char.IsAsciiDigit(s[start])) start++;
        if (start == s.Length) return s;
        int end = start;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        return s[..start] + number + s[end..];
    }

    /// <summary>Deeply nested text: brackets, operator chains, comprehensions, templates, every bodies, refs.</summary>
    public static Gen<(string Shape, int Depth)> DeepNesting() =>
        from shape in Gen.Elements("array", "parens", "set", "object", "plus", "relation", "comprehension", "template", "every", "ref", "call", "not-with", "json")
        from depth in Gen.Frequency((3, Gen.Choose(1, 300)), (2, Gen.Choose(300, 3000)), (1, Gen.Choose(3000, 20000)))
        select (shape, depth);

    public static string Nested(string shape, int n) => shape switch
    {
        "array" => "package p\nx := " + new string('[', n) + "1" + new string(']', n),
        "parens" => "package p\nx := " + new string('(', n) + "1" + new string(')', n),
        "set" => "package p\nx := " + Repeat("{", n) + "1" + Repeat("}", n),
        "object" => "package p\nx := " + Repeat("{\"a\": ", n) + "1" + Repeat("}", n),
        "plus" => "package p\nx := 1" + Repeat(" + 1", n),
        "relation" => "package p\nx if 1" + Repeat(" == 1", n),
        "comprehension" => "package p\nx := " + Repeat("[y | y := ", n) + "1" + Repeat("]", n),
        "template" => "package p\nx := " + Repeat("$\"{", n) + "1" + Repeat("}\"", n),
        "every" => "package p\nx if {\n" + Repeat("every y in [1] {\n", n) + "true\n" + Repeat("}\n", n) + "}",
        "ref" => "package p\nx := input" + Repeat(".a", n),
        "call" => "package p\nx := " + Repeat("abs(", n) + "1" + Repeat(")", n),
        "not-with" => "package p\nx if not input.a" + Repeat(" with input.a as 1", n),
        _ => "package p\nx := json.unmarshal(\"" + Repeat("[", n) + Repeat("]", n) + "\")",
    };

    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));
}
