using System.Globalization;
using System.Numerics;

namespace Crane.Rego;

/// <summary>
/// An exact decimal number: <c>Mantissa × 10^Exponent</c>, normalised so that equal numbers have
/// equal representations (3.50 == 3.5 == 35e-1). Integers of any size and decimal literals stay
/// exact; only a non-terminating division falls back to binary floating point, as OPA does.
/// </summary>
public readonly struct RegoNumber : IEquatable<RegoNumber>, IComparable<RegoNumber>
{
    private const int MaxExponent = 100_000;

    public BigInteger Mantissa { get; }
    public int Exponent { get; }

    public RegoNumber(BigInteger mantissa, int exponent)
    {
        if (mantissa.IsZero)
        {
            Mantissa = BigInteger.Zero;
            Exponent = 0;
            return;
        }
        if (mantissa.GetBitLength() > MaxMantissaBits)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"number with more than {MaxDigits} digits");
        long zeros = TrailingZeros(ref mantissa);
        exponent = (int)Math.Clamp(exponent + zeros, int.MinValue, int.MaxValue);
        if (exponent > MaxExponent || exponent < -MaxExponent)
            throw new RegoException(RegoErrorCodes.EvalBuiltin, "number exponent out of range");
        Mantissa = mantissa;
        Exponent = exponent;
    }

    /// <summary>Most significant digits a number keeps; products past it would grow without bound, each step slower.</summary>
    public const int MaxDigits = 100_000;

    // log2(10) × MaxDigits, rounded up.
    private const long MaxMantissaBits = 332_193;

    private static readonly BigInteger TenToThe19 = BigInteger.Pow(10, 19);

    // The largest k with 10^k dividing m, stripped 19 zeros at a time: dividing by a one-word number is linear in
    // m's size, so 100,000 zeros take about 5,000 cheap divisions rather than one per zero.
    private static long TrailingZeros(ref BigInteger m)
    {
        long zeros = 0;
        while (true)
        {
            var q = BigInteger.DivRem(m, TenToThe19, out var r);
            if (!r.IsZero) break;
            m = q;
            zeros += 19;
        }
        while (true)
        {
            var q = BigInteger.DivRem(m, 10, out var r);
            if (!r.IsZero) break;
            m = q;
            zeros++;
        }
        return zeros;
    }

    public static RegoNumber Zero => new(BigInteger.Zero, 0);
    public static RegoNumber One => new(BigInteger.One, 0);

    public static implicit operator RegoNumber(long v) => new(v, 0);
    public static implicit operator RegoNumber(BigInteger v) => new(v, 0);

    public bool IsInteger => Exponent >= 0;
    public int Sign => Mantissa.Sign;

    public static bool TryParse(string s, out RegoNumber n)
    {
        n = default;
        s = s.Trim();
        if (s.Length == 0) return false;
        int i = 0;
        bool neg = false;
        if (s[i] == '+' || s[i] == '-') { neg = s[i] == '-'; i++; }
        var digits = new System.Text.StringBuilder();
        int frac = 0;
        bool seenDot = false, seenDigit = false;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c >= '0' && c <= '9') { digits.Append(c); seenDigit = true; if (seenDot) frac++; }
            else if (c == '.' && !seenDot) seenDot = true;
            else break;
        }
        if (!seenDigit) return false;
        long exp = 0;
        if (i < s.Length)
        {
            if (s[i] != 'e' && s[i] != 'E') return false;
            i++;
            bool eneg = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) { eneg = s[i] == '-'; i++; }
            if (i >= s.Length) return false;
            for (; i < s.Length; i++)
            {
                char c = s[i];
                if (c < '0' || c > '9') return false;
                exp = exp * 10 + (c - '0');
                if (exp > MaxExponent * 2L) return false;
            }
            if (eneg) exp = -exp;
        }
        // Parsing a million digits is slow and the constructor would refuse them: count what is significant first.
        var text = digits.ToString().TrimStart('0');
        var significant = text.TrimEnd('0');
        if (significant.Length > MaxDigits) return false;
        exp += text.Length - significant.Length;
        var m = significant.Length == 0 ? BigInteger.Zero : BigInteger.Parse(significant, CultureInfo.InvariantCulture);
        if (neg) m = -m;
        long e = exp - frac;
        if (m.IsZero) { n = Zero; return true; }
        if (e > MaxExponent || e < -MaxExponent)
        {
            // Beyond the range we keep exactly: saturate tiny values to zero, refuse huge ones.
            if (e < 0) { n = Zero; return true; }
            return false;
        }
        n = new RegoNumber(m, (int)e);
        return true;
    }

    public static RegoNumber Parse(string s) =>
        TryParse(s, out var n) ? n : throw new FormatException($"invalid number: {s}");

    public static RegoNumber FromDouble(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
            throw new RegoException(RegoErrorCodes.EvalBuiltin, "number is not finite");
        return Parse(d.ToString("R", CultureInfo.InvariantCulture));
    }

    public double ToDouble() => double.Parse(ToString(), CultureInfo.InvariantCulture);

    public BigInteger ToBigInteger()
    {
        if (Exponent >= 0) return Mantissa * BigInteger.Pow(10, Exponent);
        return BigInteger.Divide(Mantissa, BigInteger.Pow(10, -Exponent));
    }

    public bool TryToInt(out int value)
    {
        value = 0;
        if (!IsInteger || Exponent > 10) return false;
        var b = ToBigInteger();
        if (b < int.MinValue || b > int.MaxValue) return false;
        value = (int)b;
        return true;
    }

    public bool TryToLong(out long value)
    {
        value = 0;
        if (!IsInteger || Exponent > 19) return false;
        var b = ToBigInteger();
        if (b < long.MinValue || b > long.MaxValue) return false;
        value = (long)b;
        return true;
    }

    private static (BigInteger A, BigInteger B, int E) Align(RegoNumber a, RegoNumber b)
    {
        if (a.Exponent == b.Exponent) return (a.Mantissa, b.Mantissa, a.Exponent);
        if (a.Exponent > b.Exponent)
            return (a.Mantissa * BigInteger.Pow(10, a.Exponent - b.Exponent), b.Mantissa, b.Exponent);
        return (a.Mantissa, b.Mantissa * BigInteger.Pow(10, b.Exponent - a.Exponent), a.Exponent);
    }

    private int Magnitude => Mantissa.IsZero ? int.MinValue : BigInteger.Abs(Mantissa).ToString(CultureInfo.InvariantCulture).Length + Exponent;

    public int CompareTo(RegoNumber other)
    {
        if (Sign != other.Sign) return Sign.CompareTo(other.Sign);
        if (Sign == 0) return 0;
        int ma = Magnitude, mb = other.Magnitude;
        if (ma != mb) return Sign > 0 ? ma.CompareTo(mb) : mb.CompareTo(ma);
        var (x, y, _) = Align(this, other);
        return x.CompareTo(y);
    }

    public bool Equals(RegoNumber other) => Mantissa == other.Mantissa && Exponent == other.Exponent;
    public override bool Equals(object? obj) => obj is RegoNumber n && Equals(n);
    public override int GetHashCode() => HashCode.Combine(Mantissa, Exponent);

    public static RegoNumber operator +(RegoNumber a, RegoNumber b)
    {
        var (x, y, e) = Align(a, b);
        return new RegoNumber(x + y, e);
    }

    public static RegoNumber operator -(RegoNumber a, RegoNumber b)
    {
        var (x, y, e) = Align(a, b);
        return new RegoNumber(x - y, e);
    }

    public static RegoNumber operator -(RegoNumber a) => new(-a.Mantissa, a.Exponent);
    public static RegoNumber operator *(RegoNumber a, RegoNumber b) => new(a.Mantissa * b.Mantissa, a.Exponent + b.Exponent);
    public static bool operator <(RegoNumber a, RegoNumber b) => a.CompareTo(b) < 0;
    public static bool operator >(RegoNumber a, RegoNumber b) => a.CompareTo(b) > 0;
    public static bool operator <=(RegoNumber a, RegoNumber b) => a.CompareTo(b) <= 0;
    public static bool operator >=(RegoNumber a, RegoNumber b) => a.CompareTo(b) >= 0;
    public static bool operator ==(RegoNumber a, RegoNumber b) => a.Equals(b);
    public static bool operator !=(RegoNumber a, RegoNumber b) => !a.Equals(b);

    /// <summary>Exact when the quotient has a terminating decimal expansion, else float64 like OPA.</summary>
    public static RegoNumber Divide(RegoNumber a, RegoNumber b)
    {
        if (b.Sign == 0) throw new DivideByZeroException();
        var num = a.Mantissa;
        var den = b.Mantissa;
        int e = a.Exponent - b.Exponent;
        var g = BigInteger.GreatestCommonDivisor(num, den);
        num /= g;
        den /= g;
        var rest = BigInteger.Abs(den);
        int twos = 0, fives = 0;
        while (rest % 2 == 0) { rest /= 2; twos++; }
        while (rest % 5 == 0) { rest /= 5; fives++; }
        if (rest.IsOne && Math.Max(twos, fives) <= 64)
        {
            int k = Math.Max(twos, fives);
            var scaled = num * BigInteger.Pow(10, k) / den;
            return new RegoNumber(scaled, e - k);
        }
        return FromDouble(a.ToDouble() / b.ToDouble());
    }

    public RegoNumber Floor()
    {
        if (IsInteger) return this;
        var p = BigInteger.Pow(10, -Exponent);
        var q = BigInteger.DivRem(Mantissa, p, out var r);
        if (r.Sign < 0) q -= 1;
        return new RegoNumber(q, 0);
    }

    public RegoNumber Ceiling() => -(-this).Floor();

    /// <summary>Rounds half away from zero, as Go's math.Round.</summary>
    public RegoNumber Round()
    {
        if (IsInteger) return this;
        var abs = new RegoNumber(BigInteger.Abs(Mantissa), Exponent);
        var r = (abs + new RegoNumber(5, -1)).Floor();
        return Sign < 0 ? -r : r;
    }

    public RegoNumber Abs() => new(BigInteger.Abs(Mantissa), Exponent);

    public override string ToString()
    {
        var digits = BigInteger.Abs(Mantissa).ToString(CultureInfo.InvariantCulture);
        var sign = Mantissa.Sign < 0 ? "-" : "";
        if (Exponent >= 0)
        {
            if (Exponent <= 20) return sign + digits + new string('0', Exponent);
            return sign + digits + "e" + Exponent.ToString(CultureInfo.InvariantCulture);
        }
        int point = digits.Length + Exponent;
        if (point > 0) return sign + digits[..point] + "." + digits[point..];
        if (point > -30) return sign + "0." + new string('0', -point) + digits;
        return sign + Scientific(digits);
    }

    private string Scientific(string digits)
    {
        int exp10 = digits.Length - 1 + Exponent;
        var mant = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
        return mant + "e" + (exp10 >= 0 ? "+" : "-") + Math.Abs(exp10).ToString(CultureInfo.InvariantCulture);
    }
}
