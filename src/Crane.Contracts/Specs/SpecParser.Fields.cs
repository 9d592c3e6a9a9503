using System.Globalization;

namespace Crane.Contracts.Specs;

public static partial class SpecParser
{
    /// <summary>The keys of one mapping, checked against the allowed set, with typed readers that fail at the right node.</summary>
    private sealed class Fields
    {
        private readonly YamlMapNode map;
        private readonly string path;
        private readonly Dictionary<string, YamlTreeNode> values = new(StringComparer.Ordinal);

        public Fields(YamlMapNode map, string path, string[] allowed)
        {
            this.map = map;
            this.path = path;
            foreach (var (key, value) in map.Entries)
            {
                if (Array.IndexOf(allowed, key.Text) < 0)
                    throw Error($"unknown field '{key.Text}'", YamlTree.Join(path, key.Text), key);
                values[key.Text] = value;
            }
        }

        public static Fields Of(YamlTreeNode node, string path, string[] allowed) =>
            node is YamlMapNode map
                ? new Fields(map, path, allowed)
                : throw Error($"{path} must be a mapping, got {node.Describe()}", path, node);

        public string PathOf(string key) => YamlTree.Join(path, key);

        /// <summary>The value, or null when the key is absent or its value is null.</summary>
        public YamlTreeNode? Node(string key) =>
            values.TryGetValue(key, out var node) && node is not YamlScalarNode { IsNull: true } ? node : null;

        public SpecException Invalid(string key, string message) => Error(message, PathOf(key), values[key]);

        public SpecException Missing(string key) => Error($"{PathOf(key)} is required", PathOf(key), map);

        public string? String(string key) =>
            Node(key) is { } node ? ScalarText(node, PathOf(key), "a string") : null;

        public string RequiredString(string key)
        {
            var text = String(key) ?? throw Missing(key);
            return text.Length > 0 ? text : throw Invalid(key, $"{PathOf(key)} must not be empty");
        }

        public string? OneOf(string key, string[] options)
        {
            var text = String(key);
            if (text is null || options.Contains(text, StringComparer.Ordinal))
                return text;
            throw Invalid(key, $"{PathOf(key)} must be one of {string.Join(", ", options)}, got '{text}'");
        }

        public int? Integer(string key, int min, int max)
        {
            if (Node(key) is not { } node)
                return null;
            if (node is not YamlScalarNode { IsString: false } scalar || !IntegerText().IsMatch(scalar.Text))
                throw Invalid(key, $"{PathOf(key)} must be an integer, got {node.Describe()}");
            if (!long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ||
                value < min || value > max)
            {
                throw Invalid(key, max == int.MaxValue
                    ? $"{PathOf(key)} must be at least {min}, got {scalar.Text}"
                    : $"{PathOf(key)} must be between {min} and {max}, got {scalar.Text}");
            }
            return (int)value;
        }

        /// <summary>A duration in seconds: a <see cref="Number"/> of at most <see cref="SpecLimits.MaxSeconds"/>.</summary>
        public double? Seconds(string key, bool positive)
        {
            var value = Number(key, positive);
            if (value > SpecLimits.MaxSeconds)
                throw Invalid(key, $"{PathOf(key)} must be at most {SpecLimits.MaxSeconds} (one day), got {((YamlScalarNode)values[key]).Text}");
            return value;
        }

        /// <summary>A finite number, &gt; 0 when <paramref name="positive"/>, else ≥ 0.</summary>
        public double? Number(string key, bool positive)
        {
            if (Node(key) is not { } node)
                return null;
            if (node is not YamlScalarNode { IsString: false } scalar || !NumberText().IsMatch(scalar.Text) ||
                !double.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ||
                !double.IsFinite(value))
            {
                throw Invalid(key, $"{PathOf(key)} must be a number, got {node.Describe()}");
            }
            if (positive ? value <= 0 : value < 0)
                throw Invalid(key, $"{PathOf(key)} must be {(positive ? "greater than 0" : "at least 0")}, got {scalar.Text}");
            return value;
        }

        public Fields? Object(string key, string[] allowed) =>
            Node(key) is { } node ? Of(node, PathOf(key), allowed) : null;

        public YamlListNode? List(string key) =>
            Node(key) switch
            {
                null => null,
                YamlListNode list => list,
                var node => throw Invalid(key, $"{PathOf(key)} must be a list, got {node.Describe()}"),
            };
    }
}
