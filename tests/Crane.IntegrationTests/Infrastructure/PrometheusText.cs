using System.Globalization;

namespace Crane.IntegrationTests;

public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the Prometheus text exposition format (samples only; HELP/TYPE lines are kept as metadata).</summary>
public static class PrometheusText
{
    public static IReadOnlyList<MetricSample> Parse(string text)
    {
        var samples = new List<MetricSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ')
                i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq].Trim();
                    i = eq + 2; // past ="
                    var value = new System.Text.StringBuilder();
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] == 'n' ? '\n' : line[i]);
                        }
                        else
                        {
                            value.Append(line[i]);
                        }

                        i++;
                    }

                    labels[key] = value.ToString();
                    i++;
                    if (line[i] == ',')
                        i++;
                }

                i++;
            }

            var valueText = line[i..].Trim().Split(' ')[0];
            samples.Add(new MetricSample(name, labels, ParseValue(valueText)));
        }

        return samples;
    }

    /// <summary>Sum of the samples named <paramref name="name"/> whose labels include every given pair; null when there is none.</summary>
    public static double? Sum(string text, string name, params (string Key, string Value)[] labels)
    {
        var matching = Parse(text)
            .Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value))
            .ToList();
        return matching.Count == 0 ? null : matching.Sum(s => s.Value);
    }

    /// <summary>The lines of <paramref name="text"/> that mention <paramref name="fragment"/>, for failure messages.</summary>
    public static string LinesWith(string text, string fragment) =>
        string.Join('\n', text.Split('\n').Where(l => !l.StartsWith('#') && l.Contains(fragment, StringComparison.Ordinal)));

    /// <summary>Names announced by <c># TYPE</c> lines (present even before a labelled metric has samples).</summary>
    public static IReadOnlySet<string> DeclaredNames(string text) =>
        text.Split('\n')
            .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[2])
            .ToHashSet(StringComparer.Ordinal);

    private static double ParseValue(string v) => v switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
