using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Crane.Testing.Fuzzing;

/// <summary>One generated parser input and how it was made, printed as an escaped literal that pastes into a test row.</summary>
internal sealed record FuzzInput(string Text, string Origin)
{
    public override string ToString() => $"{Origin}: \"{Escape(Text.Length <= 4000 ? Text : Text[..4000] + "…")}\" ({Text.Length} chars)";

    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ when c < ' ' || c >= '\x7f' => "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}

/// <summary>One edit of a text. Positions are fractions of its length, so an edit applies to any text.</summary>
internal abstract record TextEdit
{
    public abstract string Apply(string text);

    protected static int Index(string text, double at) => Math.Min(text.Length, (int)(at * text.Length));
}

/// <summary>Flips one bit of the UTF-8 body, as a corrupted request would (invalid UTF-8 decodes to U+FFFD).</summary>
internal sealed record FlipBit(double At, int Bit) : TextEdit
{
    public override string Apply(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length == 0)
            return text;
        bytes[Math.Min(bytes.Length - 1, (int)(At * bytes.Length))] ^= (byte)(1 << Bit);
        return Encoding.UTF8.GetString(bytes);
    }
}

internal sealed record Truncate(double At) : TextEdit
{
    public override string Apply(string text) => text[..Index(text, At)];
}

internal sealed record Delete(double At, int Length) : TextEdit
{
    public override string Apply(string text)
    {
        var start = Index(text, At);
        return text.Remove(start, Math.Min(Length, text.Length - start));
    }
}

/// <summary>Copies a slice of the text to another place: repeated keys, blocks and brackets.</summary>
internal sealed record Duplicate(double From, int Length, double To) : TextEdit
{
    public override string Apply(string text)
    {
        var start = Index(text, From);
        var slice = text.Substring(start, Math.Min(Length, text.Length - start));
        return text.Insert(Index(text, To), slice);
    }
}

internal sealed record Insert(double At, string Text) : TextEdit
{
    public override string Apply(string text) => text.Insert(Index(text, At), Text);
}

/// <summary>
/// FsCheck generators of parser inputs: random text, and valid documents mutated by a few edits (bit flips,
/// truncations, deletions, duplications, inserted syntax tokens, control characters, random UTF-16 including lone
/// surrogates, and deep nesting).
/// </summary>
internal static class TextFuzz
{
    /// <summary>The most one parse may take before the property calls it a hang.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="parse"/> on the thread pool; a hang fails after <see cref="Limit"/>, an exception is rethrown as is.</summary>
    public static T Within<T>(Func<T> parse, FuzzInput input)
    {
        var task = Task.Run(parse);
        if (Task.WaitAny([task], Limit) < 0)
            throw new TimeoutException($"parsing took longer than {Limit.TotalSeconds} s on {input}");
        return task.GetAwaiter().GetResult();
    }

    private static Gen<double> Fraction => Gen.Choose(0, 9_999).Select(i => i / 10_000.0);

    private static Gen<string> AnyChars(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.Choose(0, 0xFFFF).Select(c => (char)c).ArrayOf(n)).Select(cs => new string(cs));

    private static Gen<string> ControlChar =>
        Gen.Elements(Enumerable.Range(0, 0x20).Append(0x7F).Append(0x85).Append(0x2028).Append(0xFEFF).Select(c => ((char)c).ToString()));

    /// <summary>Brackets or block indentation repeated up to 300 deep: past every depth limit in the parsers.</summary>
    private static Gen<string> Nesting =>
        Gen.Choose(1, 300).SelectMany(depth => Gen.Elements("[", "{\"a\": ", "{a: ", "- ", "&x [", "!!seq [")
            .Select(open => open == "- "
                ? string.Concat(Enumerable.Range(0, depth).Select(i => "\n" + new string(' ', i) + "- "))
                : string.Concat(Enumerable.Repeat(open, depth))));

    private static Gen<TextEdit> Edit(string[] tokens)
    {
        var inserted = Gen.Frequency(
            (4, Gen.Elements(tokens)),
            (2, ControlChar),
            (2, AnyChars(1, 8)),
            (1, Nesting));
        return Gen.Frequency(
            (3, Fraction.SelectMany(at => Gen.Choose(0, 7).Select(bit => (TextEdit)new FlipBit(at, bit)))),
            (1, Fraction.Select(at => (TextEdit)new Truncate(at))),
            (1, Fraction.SelectMany(at => Gen.Choose(1, 40).Select(n => (TextEdit)new Delete(at, n)))),
            (2, Fraction.SelectMany(from => Gen.Choose(1, 200).SelectMany(n => Fraction.Select(to => (TextEdit)new Duplicate(from, n, to))))),
            (4, Fraction.SelectMany(at => inserted.Select(text => (TextEdit)new Insert(at, text)))));
    }

    /// <summary>One of <paramref name="valid"/> with one to six edits applied in order.</summary>
    public static Arbitrary<FuzzInput> Mutations(string[] valid, string[] tokens) =>
        Arb.From(Gen.Choose(0, valid.Length - 1).SelectMany(i =>
            Gen.Choose(1, 6).SelectMany(n => Edit(tokens).ArrayOf(n)).Select(edits =>
                new FuzzInput(edits.Aggregate(valid[i], (text, edit) => edit.Apply(text)),
                    $"valid[{i}] with {string.Join(", ", edits.Select(Describe))}"))));

    private static string Describe(TextEdit edit) => edit.ToString() is { Length: > 100 } text ? text[..100] + "…" : edit.ToString();

    /// <summary>Text of random length: syntax tokens and control characters mixed, or any UTF-16 at all.</summary>
    public static Arbitrary<FuzzInput> RandomText(string[] tokens) =>
        Arb.From(Gen.OneOf(
            Gen.Frequency((6, Gen.Elements(tokens)), (1, ControlChar), (1, AnyChars(1, 4)))
                .ListOf().Select(parts => new FuzzInput(string.Concat(parts), "tokens")),
            Gen.Sized(size => AnyChars(0, size * 4)).Select(text => new FuzzInput(text, "utf-16"))));
}
