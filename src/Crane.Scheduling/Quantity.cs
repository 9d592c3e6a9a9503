using System.Globalization;

namespace Crane.Scheduling;

/// <summary>Formats amounts the way workload specs write them (cpu <c>2</c> or <c>500m</c>, memory <c>256Mi</c>).</summary>
internal static class Quantity
{
    private static readonly (long Unit, string Suffix)[] BinaryUnits =
    [
        (1L << 50, "Pi"),
        (1L << 40, "Ti"),
        (1L << 30, "Gi"),
        (1L << 20, "Mi"),
        (1L << 10, "Ki"),
    ];

    public static long ToMillicores(double cores) => (long)Math.Round(cores * 1000, MidpointRounding.AwayFromZero);

    public static string Cpu(double cores)
    {
        var millicores = ToMillicores(cores);
        return millicores % 1000 == 0
            ? (millicores / 1000).ToString(CultureInfo.InvariantCulture)
            : millicores.ToString(CultureInfo.InvariantCulture) + "m";
    }

    /// <summary>The largest binary unit that divides the amount exactly, else plain bytes.</summary>
    public static string Memory(long bytes)
    {
        if (bytes != 0)
        {
            foreach (var (unit, suffix) in BinaryUnits)
            {
                if (bytes % unit == 0)
                {
                    return (bytes / unit).ToString(CultureInfo.InvariantCulture) + suffix;
                }
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
