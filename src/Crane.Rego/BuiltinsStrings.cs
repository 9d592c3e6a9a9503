using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Crane.Rego;

internal static partial class Builtins
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private static void AddStrings(
        Action<string, int, BuiltinFunc> add,
        Action<string, Func<string, Value, Value?>> add1,
        Action<string, Func<string, Value, Value, Value?>> add2,
        Action<string, Func<string, Value, Value, Value, Value?>> add3)
    {
        add("concat", 2, (call, a) =>
        {
            const string n = "concat";
            var delim = Str(n, a[0], 1);
            var c = a[1];
            var items = c switch
            {
                ArrayValue x => x.Items,
                SetValue x => x.Items,
                _ => throw TypeErr(n, 2, "one of {array, set}", c),
            };
            var strings = items.Select(i => i is StringValue s ? s.Value : throw TypeErr(n, 2, "array of strings", c, $"{c.TypeName} containing {i.TypeName}")).ToList();
            // The items may all be one shared long string: measure before joining.
            call.Chars(n, strings.Sum(x => (long)x.Length) + (long)delim.Length * Math.Max(0, strings.Count - 1));
            return Value.String(string.Join(delim, strings));
        });
        add2("contains", (n, a, b) => Value.Bool(Str(n, a, 1).Contains(Str(n, b, 2), StringComparison.Ordinal)));
        add2("startswith", (n, a, b) => Value.Bool(Str(n, a, 1).StartsWith(Str(n, b, 2), StringComparison.Ordinal)));
        add2("endswith", (n, a, b) => Value.Bool(Str(n, a, 1).EndsWith(Str(n, b, 2), StringComparison.Ordinal)));
        add1("lower", (n, a) => Value.String(Str(n, a, 1).ToLowerInvariant()));
        add1("upper", (n, a) => Value.String(Str(n, a, 1).ToUpperInvariant()));
        add("replace", 3, (call, a) =>
        {
            const string n = "replace";
            var s = Str(n, a[0], 1);
            var old = Str(n, a[1], 2);
            var nw = Str(n, a[2], 3);
            // Each hit grows the result by the length difference: measure before replacing.
            long hits = old.Length == 0 ? s.EnumerateRunes().Count() + 1 : Occurrences(s, old);
            call.Chars(n, s.Length + hits * (nw.Length - old.Length));
            return Value.String(old.Length == 0 ? GoReplaceEmpty(s, nw) : s.Replace(old, nw, StringComparison.Ordinal));
        });
        add("strings.replace_n", 2, (call, a) =>
        {
            const string n = "strings.replace_n";
            var patterns = Obj(n, a[0], 1);
            var str = Str(n, a[1], 2);
            var pairs = patterns.Pairs.Select(kv => (Str(n, kv.Key, 1), Str(n, kv.Value, 1))).ToList();
            var sb = new StringBuilder();
            int i = 0;
            while (i < str.Length)
            {
                var hit = pairs.FirstOrDefault(x => x.Item1.Length > 0 && string.CompareOrdinal(str, i, x.Item1, 0, x.Item1.Length) == 0);
                if (hit.Item1 is not null && hit.Item1.Length > 0)
                {
                    call.CharsWithin(n, (long)sb.Length + hit.Item2.Length + (str.Length - i - hit.Item1.Length));
                    sb.Append(hit.Item2);
                    i += hit.Item1.Length;
                }
                else sb.Append(str[i++]);
            }
            call.Chars(n, sb.Length);
            return Value.String(sb.ToString());
        });
        add("split", 2, (call, a) =>
        {
            const string n = "split";
            var s = Str(n, a[0], 1);
            var d = Str(n, a[1], 2);
            call.Elements(n, d.Length == 0 ? s.EnumerateRunes().Count() : Occurrences(s, d) + 1);
            if (d.Length == 0) return new ArrayValue(s.EnumerateRunes().Select(r => Value.String(r.ToString())).ToArray());
            return new ArrayValue(s.Split(d).Select(Value.String).ToArray());
        });
        add("strings.split_n", 3, (call, a) =>
        {
            const string n = "strings.split_n";
            var s = Str(n, a[0], 1);
            var d = Str(n, a[1], 2);
            var count = Int(n, a[2], 3);
            if (count == 0) return new ArrayValue([]);
            var pieces = d.Length == 0 ? s.Length + 1 : Occurrences(s, d) + 1;
            call.Elements(n, count < 0 ? pieces : Math.Min(pieces, count));
            var parts = count < 0 ? s.Split(d) : s.Split(d, (int)Math.Min(count, int.MaxValue));
            return new ArrayValue(parts.Select(Value.String).ToArray());
        });
        add3("substring", (n, a, b, c) =>
        {
            var runes = Str(n, a, 1).EnumerateRunes().ToArray();
            var offset = Int(n, b, 2);
            var length = Int(n, c, 3);
            if (offset < 0) throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: negative offset");
            if (offset >= runes.Length) return Value.String("");
            var take = length < 0 || offset + length > runes.Length ? runes.Length - offset : length;
            return Value.String(string.Concat(runes.Skip((int)offset).Take((int)take).Select(r => r.ToString())));
        });
        add2("indexof", (n, a, b) =>
        {
            var s = Str(n, a, 1);
            var sub = Str(n, b, 2);
            int idx = s.IndexOf(sub, StringComparison.Ordinal);
            if (idx < 0) return Value.Number(-1);
            return Value.Number(s[..idx].EnumerateRunes().Count());
        });
        add("indexof_n", 2, (call, a) =>
        {
            const string n = "indexof_n";
            var s = Str(n, a[0], 1);
            var sub = Str(n, a[1], 2);
            var result = new List<Value>();
            if (sub.Length == 0) return new ArrayValue(result);
            // Rune offsets counted as the search moves on, not from the start for every hit.
            int runes = 0, counted = 0;
            for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = i + 1 < s.Length ? s.IndexOf(sub, i + 1, StringComparison.Ordinal) : -1)
            {
                runes += RuneCount(s, counted, i);
                counted = i;
                result.Add(Value.Number(runes));
                call.ElementsWithin(n, result.Count);
            }
            call.Elements(n, result.Count);
            return new ArrayValue(result);
        });
        add2("trim", (n, a, b) => Value.String(Str(n, a, 1).Trim(Str(n, b, 2).ToCharArray())));
        add2("trim_left", (n, a, b) => Value.String(Str(n, a, 1).TrimStart(Str(n, b, 2).ToCharArray())));
        add2("trim_right", (n, a, b) => Value.String(Str(n, a, 1).TrimEnd(Str(n, b, 2).ToCharArray())));
        add2("trim_prefix", (n, a, b) =>
        {
            var s = Str(n, a, 1);
            var p = Str(n, b, 2);
            return Value.String(s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s);
        });
        add2("trim_suffix", (n, a, b) =>
        {
            var s = Str(n, a, 1);
            var p = Str(n, b, 2);
            return Value.String(s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s);
        });
        add1("trim_space", (n, a) => Value.String(Str(n, a, 1).Trim()));
        add1("strings.reverse", (n, a) =>
        {
            var runes = Str(n, a, 1).EnumerateRunes().Reverse();
            return Value.String(string.Concat(runes.Select(r => r.ToString())));
        });
        add2("strings.count", (n, a, b) =>
        {
            var s = Str(n, a, 1);
            var sub = Str(n, b, 2);
            if (sub.Length == 0) return Value.Number(s.EnumerateRunes().Count() + 1);
            int count = 0;
            for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) count++;
            return Value.Number(count);
        });
        add2("strings.any_prefix_match", (n, a, b) =>
        {
            var search = StringsOf(n, a, 1);
            var bases = StringsOf(n, b, 2);
            return Value.Bool(search.Any(s => bases.Any(p => s.StartsWith(p, StringComparison.Ordinal))));
        });
        add2("strings.any_suffix_match", (n, a, b) =>
        {
            var search = StringsOf(n, a, 1);
            var bases = StringsOf(n, b, 2);
            return Value.Bool(search.Any(s => bases.Any(p => s.EndsWith(p, StringComparison.Ordinal))));
        });
        add2("format_int", (n, a, b) =>
        {
            var num = Num(n, a, 1);
            var bv = Num(n, b, 2);
            int radix = bv.TryToInt(out var r) ? r : 0;
            if (radix is not (2 or 8 or 10 or 16)) throw TypeErr(n, 2, "one of {2, 8, 10, 16}", b, bv.ToString());
            var i = num.Sign < 0 ? -(-num).Floor().ToBigInteger() : num.Floor().ToBigInteger();
            return Value.String(FormatRadix(i, radix, upper: false));
        });
        add("sprintf", 2, (call, a) =>
        {
            var format = Str("sprintf", a[0], 1);
            var args = Arr("sprintf", a[1], 2).Items;
            // Each argument is written once at most, so their text plus the format bounds the result before padding.
            long total = format.Length;
            foreach (var arg in args)
            {
                total += SizeCaps.TextLength(arg, call.Evaluator.Caps.MaxChars);
                call.CharsWithin("sprintf", total);
            }
            return Value.String(Sprintf(format, args, call.Evaluator.Caps.MaxChars));
        });

        add("regex.match", 2, (call, a) => Value.Bool(Rx(call, "regex.match", Str("regex.match", a[0], 1)).IsMatch(Str("regex.match", a[1], 2))));
        add("re_match", 2, (call, a) => Value.Bool(Rx(call, "re_match", Str("re_match", a[0], 1)).IsMatch(Str("re_match", a[1], 2))));
        add1("regex.is_valid", (n, a) =>
        {
            if (a is not StringValue s) return Value.False;
            try { _ = new Regex(s.Value, RegexOptions.None, RegexTimeout); return Value.True; }
            catch (ArgumentException) { return Value.False; }
        });
        add("regex.split", 2, (call, a) =>
        {
            const string n = "regex.split";
            var rx = Rx(call, n, Str(n, a[0], 1));
            var parts = GoRegexSplit(rx, Str(n, a[1], 2), call);
            call.Elements(n, parts.Count);
            return new ArrayValue(parts.Select(Value.String).ToArray());
        });
        add("regex.replace", 3, (call, a) =>
        {
            const string n = "regex.replace";
            var s = Str(n, a[0], 1);
            var rx = Rx(call, n, Str(n, a[1], 2));
            var repl = GoReplacement(Str(n, a[2], 3));
            // Bound per hit: the replacement's text plus, per group reference ('$'), at most the whole match.
            long dollars = repl.Count(ch => ch == '$');
            var length = (long)s.Length;
            foreach (Match m in rx.Matches(s))
            {
                length += repl.Length + (dollars - 1) * m.Length;
                call.CharsWithin(n, length);
            }
            call.Chars(n, length);
            return Value.String(rx.Replace(s, repl));
        });
        add("regex.find_n", 3, (call, a) =>
        {
            const string n = "regex.find_n";
            var rx = Rx(call, n, Str(n, a[0], 1));
            var s = Str(n, a[1], 2);
            var limit = Int(n, a[2], 3);
            var matches = Capped(call, n, rx.Matches(s), limit).Select(m => m.Value);
            return new ArrayValue(matches.Select(Value.String).ToArray());
        });
        add("regex.find_all_string_submatch_n", 3, (call, a) =>
        {
            const string n = "regex.find_all_string_submatch_n";
            var rx = Rx(call, n, Str(n, a[0], 1));
            var s = Str(n, a[1], 2);
            var limit = Int(n, a[2], 3);
            var matches = Capped(call, n, rx.Matches(s), limit);
            return new ArrayValue(matches.Select(m => (Value)new ArrayValue(m.Groups.Cast<Group>().Select(g => Value.String(g.Success ? g.Value : "")).ToArray())).ToArray());
        });
    }

    private static long Occurrences(string s, string sub)
    {
        long count = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static int RuneCount(string s, int from, int to)
    {
        int count = 0;
        for (int i = from; i < to; i++)
            if (!char.IsLowSurrogate(s[i])) count++;
        return count;
    }

    // Matches up to the limit (negative: all), failing as soon as there are more than the cap allows.
    private static List<Match> Capped(BuiltinCall call, string n, MatchCollection matches, long limit)
    {
        var taken = new List<Match>();
        foreach (Match m in matches)
        {
            if (limit >= 0 && taken.Count >= limit) break;
            taken.Add(m);
            call.ElementsWithin(n, taken.Count);
        }
        call.Elements(n, taken.Count);
        return taken;
    }

    private static string GoReplaceEmpty(string s, string nw)
    {
        var sb = new StringBuilder(nw);
        foreach (var r in s.EnumerateRunes()) sb.Append(r.ToString()).Append(nw);
        return sb.ToString();
    }

    private static List<string> StringsOf(string n, Value v, int i)
    {
        switch (v)
        {
            case StringValue s: return [s.Value];
            case ArrayValue a:
                return a.Items.Select(x => x is StringValue s ? s.Value : throw TypeErr(n, i, "array of strings", v, $"array containing {x.TypeName}")).ToList();
            case SetValue set:
                return set.Items.Select(x => x is StringValue s ? s.Value : throw TypeErr(n, i, "set of strings", v, $"set containing {x.TypeName}")).ToList();
            default:
                throw TypeErr(n, i, "one of {string, set, array}", v);
        }
    }

    // Matching stops at the decision's deadline if that comes before the per-call limit.
    private static Regex Rx(BuiltinCall call, string n, string pattern)
    {
        var timeout = call.Evaluator.Budget.TimeLeft() is { } left && left < RegexTimeout ? left : RegexTimeout;
        if (timeout <= TimeSpan.Zero) call.Evaluator.Budget.CheckDeadline();
        try
        {
            return new Regex(ConvertGoPattern(pattern), RegexOptions.CultureInvariant, timeout <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : timeout);
        }
        catch (ArgumentException e)
        {
            throw new BuiltinException(RegoErrorCodes.EvalBuiltin, $"{n}: error parsing regexp: {e.Message}");
        }
    }

    // RE2 named groups (?P<name>...) are (?<name>...) in .NET.
    private static string ConvertGoPattern(string p) => p.Replace("(?P<", "(?<", StringComparison.Ordinal);

    private static string GoReplacement(string repl)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < repl.Length; i++)
        {
            if (repl[i] == '$' && i + 1 < repl.Length && repl[i + 1] == '$') { sb.Append("$$"); i++; }
            else if (repl[i] == '$' && i + 1 < repl.Length && repl[i + 1] != '{')
            {
                int j = i + 1;
                while (j < repl.Length && (char.IsLetterOrDigit(repl[j]) || repl[j] == '_')) j++;
                sb.Append("${").Append(repl, i + 1, j - i - 1).Append('}');
                i = j - 1;
            }
            else sb.Append(repl[i]);
        }
        return sb.ToString();
    }

    private static List<string> GoRegexSplit(Regex rx, string s, BuiltinCall call)
    {
        var result = new List<string>();
        int last = 0;
        foreach (Match m in rx.Matches(s))
        {
            if (m.Length == 0 && (m.Index == 0 || m.Index == s.Length)) continue;
            result.Add(s[last..m.Index]);
            call.ElementsWithin("regex.split", result.Count);
            last = m.Index + m.Length;
        }
        result.Add(s[last..]);
        return result;
    }

    // Radix 2, 8 and 16 read the bits straight off the magnitude: repeated division was quadratic in the digits.
    private static string FormatRadix(BigInteger i, int radix, bool upper)
    {
        if (radix == 10) return i.ToString(CultureInfo.InvariantCulture);
        if (i.IsZero) return "0";
        int bitsPerDigit = radix switch { 2 => 1, 8 => 3, _ => 4 };
        var magnitude = BigInteger.Abs(i);
        var bytes = magnitude.ToByteArray(isUnsigned: true, isBigEndian: false);
        long bitCount = (long)magnitude.GetBitLength();
        long digitCount = (bitCount + bitsPerDigit - 1) / bitsPerDigit;
        var digits = new char[digitCount];
        const string lower = "0123456789abcdef";
        for (long d = 0; d < digitCount; d++)
        {
            int value = 0;
            for (int b = 0; b < bitsPerDigit; b++)
            {
                long bit = d * bitsPerDigit + b;
                if (bit < bitCount && (bytes[bit >> 3] >> (int)(bit & 7) & 1) == 1) value |= 1 << b;
            }
            var c = lower[value];
            digits[digitCount - 1 - d] = upper ? char.ToUpperInvariant(c) : c;
        }
        return (i.Sign < 0 ? "-" : "") + new string(digits);
    }

    /// <summary>Go's fmt.Sprintf for the verbs policies use: v s d f e g x X o b q t and %%; the result is at most <paramref name="maxChars"/> long.</summary>
    internal static string Sprintf(string format, IReadOnlyList<Value> args, int maxChars)
    {
        var sb = new StringBuilder();
        int argi = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            i++;
            if (i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            bool minus = false, plus = false, zero = false, space = false, sharp = false;
            for (; i < format.Length; i++)
            {
                char f = format[i];
                if (f == '-') minus = true;
                else if (f == '+') plus = true;
                else if (f == '0') zero = true;
                else if (f == ' ') space = true;
                else if (f == '#') sharp = true;
                else break;
            }
            int width = -1, precision = -1;
            int ws = i;
            while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
            if (i > ws) width = SprintfNumber(format[ws..i], "width", maxChars);
            if (i < format.Length && format[i] == '.')
            {
                i++;
                int ps = i;
                while (i < format.Length && char.IsAsciiDigit(format[i])) i++;
                precision = i > ps ? SprintfNumber(format[ps..i], "precision", maxChars) : 0;
            }
            if (i >= format.Length) { sb.Append("%!(NOVERB)"); break; }
            char verb = format[i];
            if (verb == '%') { sb.Append('%'); continue; }
            if (argi >= args.Count) { sb.Append("%!").Append(verb).Append("(MISSING)"); continue; }
            var arg = args[argi++];
            string text = FormatVerb(verb, arg, precision, plus, space, sharp);
            if (width > text.Length)
            {
                var pad = width - text.Length;
                if (minus) text += new string(' ', pad);
                else if (zero && verb is 'd' or 'f' or 'x' or 'X' or 'o' or 'b' or 'e' or 'g' or 'F' or 'v' && arg is NumberValue)
                {
                    int signLen = text.StartsWith('-') || text.StartsWith('+') ? 1 : 0;
                    text = text[..signLen] + new string('0', pad) + text[signLen..];
                }
                else text = new string(' ', pad) + text;
            }
            if ((long)sb.Length + text.Length > maxChars) throw SprintfTooLong((long)sb.Length + text.Length, maxChars);
            sb.Append(text);
        }
        if (argi < args.Count)
        {
            sb.Append("%!(EXTRA ");
            sb.Append(string.Join(", ", args.Skip(argi).Select(a => $"{GoTypeName(a)}={Plain(a)}")));
            sb.Append(')');
        }
        return sb.ToString();
    }

    // A width or precision is what the result must be at least as long as: refuse one past the cap before padding.
    private static int SprintfNumber(string digits, string what, int maxChars)
    {
        if (digits.Length > 9 || int.Parse(digits, CultureInfo.InvariantCulture) > maxChars)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"sprintf: {what} {digits} exceeds the limit of {maxChars} characters");
        return int.Parse(digits, CultureInfo.InvariantCulture);
    }

    private static RegoException SprintfTooLong(long length, int maxChars) =>
        new(RegoErrorCodes.EvalBudget, $"sprintf: result of {length} characters exceeds the limit of {maxChars} characters");

    private static string GoTypeName(Value v) => v switch
    {
        StringValue => "string",
        NumberValue => "json.Number",
        BooleanValue => "bool",
        _ => "ast." + v.TypeName,
    };

    private static string Plain(Value v) => v is StringValue s ? s.Value : v.ToString();

    private static string FormatVerb(char verb, Value arg, int precision, bool plus, bool space, bool sharp)
    {
        switch (verb)
        {
            case 'v':
            case 's':
                if (arg is NumberValue nv && precision >= 0 && verb == 's') return Plain(arg);
                var text = Plain(arg);
                return precision >= 0 && arg is StringValue ? text[..Math.Min(precision, text.Length)] : text;
            case 'q':
                return arg is StringValue qs ? Quote(qs.Value) : Plain(arg);
            case 't':
                return Plain(arg);
            case 'd':
                if (arg is NumberValue d && d.Value.IsInteger)
                {
                    var s = d.Value.ToBigInteger().ToString(CultureInfo.InvariantCulture);
                    return plus && d.Value.Sign >= 0 ? "+" + s : space && d.Value.Sign >= 0 ? " " + s : s;
                }
                return $"%!d({GoTypeName(arg)}={Plain(arg)})";
            case 'x':
            case 'X':
            case 'o':
            case 'b':
                if (arg is NumberValue xn && xn.Value.IsInteger)
                {
                    int radix = verb switch { 'o' => 8, 'b' => 2, _ => 16 };
                    var s = FormatRadix(xn.Value.ToBigInteger(), radix, verb == 'X');
                    return sharp && radix == 16 ? (verb == 'X' ? "0X" : "0x") + s : s;
                }
                if (arg is StringValue xs && verb is 'x' or 'X')
                {
                    var hex = Convert.ToHexString(Encoding.UTF8.GetBytes(xs.Value));
                    return verb == 'x' ? hex.ToLowerInvariant() : hex;
                }
                return $"%!{verb}({GoTypeName(arg)}={Plain(arg)})";
            case 'f':
            case 'F':
            case 'e':
            case 'E':
            case 'g':
            case 'G':
                if (arg is NumberValue fv)
                {
                    var dbl = fv.Value.ToDouble();
                    string r = verb switch
                    {
                        'f' or 'F' => dbl.ToString("F" + (precision < 0 ? 6 : precision), CultureInfo.InvariantCulture),
                        'e' or 'E' => GoExp(dbl, precision < 0 ? 6 : precision, verb),
                        _ => precision < 0 ? fv.Value.ToString() : dbl.ToString("G" + precision, CultureInfo.InvariantCulture),
                    };
                    return plus && dbl >= 0 ? "+" + r : r;
                }
                return $"%!{verb}({GoTypeName(arg)}={Plain(arg)})";
            default:
                return $"%!{verb}({GoTypeName(arg)}={Plain(arg)})";
        }
    }

    private static string GoExp(double d, int precision, char verb)
    {
        var s = d.ToString((verb == 'E' ? "E" : "e") + precision, CultureInfo.InvariantCulture);
        // .NET writes three exponent digits (e+006); Go writes at least two (e+06).
        int ei = s.IndexOfAny(['e', 'E']);
        var mant = s[..(ei + 2)];
        var exp = s[(ei + 2)..].TrimStart('0');
        if (exp.Length < 2) exp = exp.PadLeft(2, '0');
        return mant + exp;
    }
}
