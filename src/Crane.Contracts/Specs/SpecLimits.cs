using System.Globalization;

namespace Crane.Contracts.Specs;

/// <summary>
/// The bounds a spec must stay within so that neither the parser nor the runtime can be made to do unbounded work or
/// pass a value the container engine would read as "no limit".
/// </summary>
internal static class SpecLimits
{
    /// <summary>Alias uses per document: a spec needs a handful; a bomb needs many.</summary>
    public const int MaxAliases = 100;

    /// <summary>
    /// 1 MiB of nodes and characters, counted as if every alias were copied out: each node counts 1 and each
    /// character of a scalar (keys included) counts 1. Also the most characters of raw text.
    /// </summary>
    public const int MaxExpandedSize = 1 << 20;

    /// <summary>1m: below it Docker rounds NanoCPUs to 0, which means unlimited.</summary>
    public const double MinCpuCores = 0.001;

    /// <summary>A million cores is more than any node has and keeps cores × 10^9 NanoCPUs inside a long.</summary>
    public const double MaxCpuCores = 1_000_000;

    /// <summary>4Mi: less cannot start a container and is almost always a unit mistake (4M vs 4Mi vs 4).</summary>
    public const long MinMemoryBytes = 4L << 20;

    /// <summary>One day: longer is a mistake, and 10^300 seconds would overflow TimeSpan in the probe and scaling timers.</summary>
    public const double MaxSeconds = 86_400;

    /// <summary>C0 controls other than tab, LF and CR, and DEL: invisible in logs and UIs, and cut strings short (NUL) in C APIs.</summary>
    public static bool IsForbidden(char c) => c is < ' ' and not ('\t' or '\n' or '\r') or '\x7f';

    public static int IndexOfForbidden(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsForbidden(text[i]))
                return i;
        }
        return -1;
    }

    /// <summary>U+0007 style, so an error never prints the character itself.</summary>
    public static string CodePoint(char c) => "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);

    public static string ControlCharacterMessage(string? field, char c) =>
        $"{field ?? "the spec"} contains the control character {CodePoint(c)}; only tab, line feed and carriage return are allowed";

    /// <summary>1-based line and column of a character, counting line breaks as YamlDotNet does (CRLF is one).</summary>
    public static (int Line, int Column) Position(string text, int index)
    {
        int line = 1, column = 1;
        for (var i = 0; i < index && i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                continue;
            if (c is '\n' or '\r' or '\x85' or '\u2028' or '\u2029')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return (line, column);
    }
}
