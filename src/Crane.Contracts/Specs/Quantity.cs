using System.Globalization;
using System.Text.RegularExpressions;

namespace Crane.Contracts.Specs;

/// <summary>
/// Kubernetes-style resource quantities: cpu in cores (<c>0.3</c>, <c>2</c>, <c>300m</c>) and memory in bytes
/// (<c>1048576</c>, <c>256Mi</c>, <c>1G</c>, <c>1e9</c>).
/// </summary>
/// <remarks>
/// Memory suffixes: <c>Ki Mi Gi Ti</c> are powers of 1024, <c>k K M G T</c> powers of 1000. Kubernetes spells kilo
/// only as <c>k</c>; the Crane design spells it <c>K</c>; both are accepted because neither can mean anything else.
/// Not accepted: signs, whitespace, <c>m</c> for memory, <c>P E Pi Ei</c>, and <c>MB</c>-style units.
/// Fractional byte counts (<c>0.1Gi</c>) round up to the next byte, as Kubernetes does.
/// </remarks>
public static partial class Quantity
{
    private static readonly (string Suffix, long Factor)[] MemoryFactors =
    [
        ("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40),
        ("k", 1_000L), ("K", 1_000L), ("M", 1_000_000L), ("G", 1_000_000_000L), ("T", 1_000_000_000_000L),
    ];

    // FormatMemory prefers binary suffixes, then decimal ones, largest first.
    private static readonly (string Suffix, long Factor)[] FormatFactors =
    [
        ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10),
        ("T", 1_000_000_000_000L), ("G", 1_000_000_000L), ("M", 1_000_000L), ("K", 1_000L),
    ];

    [GeneratedRegex(@"^(?<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?<suffix>m?)$", RegexOptions.CultureInvariant)]
    private static partial Regex CpuPattern();

    [GeneratedRegex(@"^(?:(?<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+)|(?<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?<suffix>Ki|Mi|Gi|Ti|k|K|M|G|T)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex MemoryPattern();

    /// <summary>Parses <c>0.3</c>, <c>2</c> or <c>300m</c> (millicores) into cores. Zero parses; callers check the sign they need.</summary>
    public static bool TryParseCpu(string text, out double cores)
    {
        cores = 0;
        var match = CpuPattern().Match(text ?? string.Empty);
        if (!match.Success ||
            !double.TryParse(match.Groups["num"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return false;
        if (match.Groups["suffix"].Value == "m")
            value /= 1000;
        if (!double.IsFinite(value))
            return false;
        cores = value;
        return true;
    }

    /// <summary>Parses plain bytes, a 1024-based (<c>Ki</c>…) or 1000-based (<c>k</c>/<c>K</c>…) suffix, or an exponent.</summary>
    public static bool TryParseMemory(string text, out long bytes)
    {
        bytes = 0;
        var match = MemoryPattern().Match(text ?? string.Empty);
        if (!match.Success ||
            !decimal.TryParse(match.Groups["num"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return false;
        var factor = 1L;
        var suffix = match.Groups["suffix"].Value;
        if (suffix.Length > 0)
            factor = Array.Find(MemoryFactors, f => f.Suffix == suffix).Factor;
        if (value > long.MaxValue / factor)
            return false;
        var exact = decimal.Ceiling(value * factor);
        if (exact > long.MaxValue)
            return false;
        bytes = (long)exact;
        return true;
    }

    /// <summary>Whole cores as <c>2</c>, whole millicores as <c>300m</c>, anything finer as a plain number.</summary>
    public static string FormatCpu(double cores)
    {
        var milli = Math.Round(cores * 1000);
        if (double.IsFinite(milli) && Math.Abs(milli) < 1e15 && milli / 1000 == cores)
        {
            return milli % 1000 == 0
                ? (milli / 1000).ToString("0", CultureInfo.InvariantCulture)
                : milli.ToString("0", CultureInfo.InvariantCulture) + "m";
        }
        return cores.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The largest suffix that divides exactly (binary first, so <c>268435456</c> is <c>256Mi</c>), else plain bytes.</summary>
    public static string FormatMemory(long bytes)
    {
        if (bytes > 0)
        {
            foreach (var (suffix, factor) in FormatFactors)
            {
                if (bytes % factor == 0)
                    return (bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
