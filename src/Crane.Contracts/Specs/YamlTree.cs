using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Crane.Contracts.Specs;

/// <summary>A YAML node with the 1-based line and column where it starts.</summary>
internal abstract class YamlTreeNode(Mark start)
{
    public int Line { get; } = ToInt(start.Line);
    public int Column { get; } = ToInt(start.Column);

    /// <summary>Nodes plus scalar characters of this subtree with every alias copied out; see <see cref="SpecLimits.MaxExpandedSize"/>.</summary>
    public long ExpandedSize { get; set; } = 1;

    /// <summary>What the node is, for messages such as "must be a string, got a list".</summary>
    public abstract string Describe();

    private static int ToInt(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}

internal sealed class YamlScalarNode(Scalar scalar) : YamlTreeNode(scalar.Start)
{
    private const string StrTag = "tag:yaml.org,2002:str";
    private const string NullTag = "tag:yaml.org,2002:null";

    public string Text { get; } = scalar.Value;

    /// <summary>Quoted (JSON strings included) or tagged !!str: never a number, bool or null.</summary>
    public bool IsString { get; } = scalar.Tag.IsEmpty || scalar.Tag.IsNonSpecific
        ? scalar.Style != ScalarStyle.Plain
        : scalar.Tag.Value == StrTag;

    /// <summary>YAML 1.2 core schema null: empty, ~, null, Null, NULL (plain, untagged), or tagged !!null.</summary>
    public bool IsNull { get; } = scalar.Tag.IsEmpty
        ? scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL"
        : scalar.Tag.Value == NullTag;

    public override string Describe() =>
        IsNull ? "null" : IsString ? $"the string \"{Text}\"" : $"'{Text}'";
}

internal sealed class YamlMapNode(Mark start) : YamlTreeNode(start)
{
    public List<KeyValuePair<YamlScalarNode, YamlTreeNode>> Entries { get; } = [];

    public override string Describe() => "a mapping";
}

internal sealed class YamlListNode(Mark start) : YamlTreeNode(start)
{
    public List<YamlTreeNode> Items { get; } = [];

    public override string Describe() => "a list";
}

/// <summary>
/// Builds a small node tree from YamlDotNet parser events, so every node keeps its position and the
/// loader can enforce what a spec needs: one document, string keys without duplicates, bounded nesting,
/// at most <see cref="SpecLimits.MaxAliases"/> aliases and <see cref="SpecLimits.MaxExpandedSize"/> of expanded
/// content (aliases share the target node, so the expansion is counted, never built), no control characters.
/// </summary>
internal static class YamlTree
{
    /// <summary>A spec nests at most 5 levels; the cap stops pathological input long before it costs anything.</summary>
    public const int MaxDepth = 32;

    private static readonly string ExpandedByAliases =
        $"YAML aliases expand the spec to more than 1 MiB ({SpecLimits.MaxExpandedSize} nodes and characters)";

    private static readonly string TooLarge = $"the spec is larger than 1 MiB ({SpecLimits.MaxExpandedSize} nodes and characters)";

    /// <summary>Returns the root of the single document, or null for an empty body. Throws <see cref="SpecException"/>.</summary>
    public static YamlTreeNode? Load(string text)
    {
        if (text.Length > SpecLimits.MaxExpandedSize)
        {
            var (line, column) = SpecLimits.Position(text, SpecLimits.MaxExpandedSize);
            throw Error($"the spec is larger than 1 MiB ({SpecLimits.MaxExpandedSize} characters)", null, line, column);
        }

        // A raw control character found here is reported with its field if it lies in a scalar, else on its own.
        var control = SpecLimits.IndexOfForbidden(text);
        var scanner = new Scanner(new StringReader(text));
        YamlTreeNode? root;
        try
        {
            root = Build(new Parser(scanner), text, control);
        }
        catch (YamlException e)
        {
            if (control >= 0 && control <= e.End.Index)
                throw ControlCharacter(text, control, null);
            throw new SpecException(new SpecError($"malformed YAML or JSON: {e.Message}", null, (int)e.Start.Line, (int)e.Start.Column));
        }
        catch (Exception e) when (e is not SpecException)
        {
            // YamlDotNet 18 throws InvalidOperationException on some malformed flow collections (e.g. "a: [1, 2\nb: 3").
            var at = scanner.CurrentPosition;
            if (control >= 0 && control <= at.Index)
                throw ControlCharacter(text, control, null);
            throw new SpecException(new SpecError("malformed YAML or JSON", null, (int)at.Line, (int)at.Column));
        }

        // After the last node: a trailing comment, or text past a NUL, where YamlDotNet stops reading.
        if (control >= 0)
            throw ControlCharacter(text, control, null);
        return root;
    }

    private static SpecException ControlCharacter(string text, int index, string? field)
    {
        var (line, column) = SpecLimits.Position(text, index);
        return Error(SpecLimits.ControlCharacterMessage(field, text[index]), field, line, column);
    }

    private static YamlTreeNode? Build(IParser parser, string text, int control)
    {
        var open = new Stack<Frame>();
        var anchors = new Dictionary<string, YamlTreeNode>();
        YamlTreeNode? root = null;
        var documents = 0;
        var aliases = 0;
        // Sizes are checked as they grow, so no count ever exceeds the limit by more than one alias target (itself ≤ the limit).
        var expanded = 0L;

        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case DocumentStart start:
                    if (++documents > 1)
                        throw Error("a spec is a single YAML document; found a second one", null, start.Start);
                    break;
                case Scalar scalar:
                    CheckSource(scalar);
                    CheckTag(scalar, open);
                    var node = new YamlScalarNode(scalar);
                    CheckEscapes(node);
                    node.ExpandedSize = 1 + node.Text.Length;
                    Grow(node.ExpandedSize, scalar.Start, byAlias: false);
                    if (!scalar.Anchor.IsEmpty)
                        anchors[scalar.Anchor.Value] = node;
                    Add(node, node.Line, node.Column);
                    break;
                case AnchorAlias alias:
                    CheckSource(alias);
                    if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        throw Error($"unknown anchor '{alias.Value.Value}'", ChildPath(open), alias.Start);
                    if (++aliases > SpecLimits.MaxAliases)
                        throw Error($"the spec uses more than {SpecLimits.MaxAliases} YAML aliases", ChildPath(open), alias.Start);
                    Grow(target.ExpandedSize, alias.Start, byAlias: true);
                    Add(target, (int)alias.Start.Line, (int)alias.Start.Column);
                    break;
                case SequenceStart sequence:
                    CheckSource(sequence);
                    CheckTag(sequence, open);
                    Grow(1, sequence.Start, byAlias: false);
                    Open(new YamlListNode(sequence.Start), sequence);
                    break;
                case MappingStart mapping:
                    CheckSource(mapping);
                    CheckTag(mapping, open);
                    Grow(1, mapping.Start, byAlias: false);
                    Open(new YamlMapNode(mapping.Start), mapping);
                    break;
                case SequenceEnd or MappingEnd:
                    var done = open.Pop();
                    done.Node.ExpandedSize = done.Size;
                    if (done.Anchor is { } anchor)
                        anchors[anchor] = done.Node;
                    Add(done.Node, done.Node.Line, done.Node.Column);
                    break;
            }
        }
        return root;

        void Grow(long size, Mark at, bool byAlias)
        {
            expanded += size;
            if (expanded > SpecLimits.MaxExpandedSize)
                throw Error(byAlias ? ExpandedByAliases : TooLarge, ChildPath(open), at);
        }

        // The first raw control character is the error as soon as the parser reaches it, before any message can quote it;
        // it has a field only when it lies inside this event (a scalar, alias or tag).
        void CheckSource(ParsingEvent e)
        {
            if (control >= 0 && control < e.End.Index)
                throw ControlCharacter(text, control, control >= e.Start.Index ? ChildPath(open) : null);
        }

        // Escapes (\0, \a, \u0007) put control characters into the value that the raw text does not show.
        void CheckEscapes(YamlScalarNode node)
        {
            var escaped = SpecLimits.IndexOfForbidden(node.Text);
            if (escaped >= 0)
                throw Error(SpecLimits.ControlCharacterMessage(ChildPath(open), node.Text[escaped]), ChildPath(open), node.Line, node.Column);
        }

        void Open(YamlTreeNode node, NodeEvent start)
        {
            if (open.Count >= MaxDepth)
                throw Error($"the spec nests deeper than {MaxDepth} levels", ChildPath(open), start.Start);
            open.Push(new Frame(node, ChildPath(open), start.Anchor.IsEmpty ? null : start.Anchor.Value));
        }

        void Add(YamlTreeNode node, int line, int column)
        {
            if (open.Count == 0)
            {
                root = node;
                return;
            }
            var parent = open.Peek();
            parent.Size += node.ExpandedSize;
            switch (parent.Node)
            {
                case YamlListNode list:
                    list.Items.Add(node);
                    break;
                case YamlMapNode when parent.PendingKey is null:
                    if (node is not YamlScalarNode key)
                        throw Error("mapping keys must be strings", parent.Path.Length == 0 ? null : parent.Path, line, column);
                    if (!parent.Keys.Add(key.Text))
                        throw Error($"duplicate key '{key.Text}'", Join(parent.Path, key.Text), line, column);
                    parent.PendingKey = key;
                    break;
                case YamlMapNode map:
                    map.Entries.Add(new(parent.PendingKey!, node));
                    parent.PendingKey = null;
                    break;
            }
        }
    }

    private static void CheckTag(NodeEvent node, Stack<Frame> open)
    {
        // Local tags such as !foo would ask for a type a spec does not have.
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific && !node.Tag.Value.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal))
            throw Error($"unsupported YAML tag '{node.Tag.Value}'", ChildPath(open), node.Start);
    }

    /// <summary>The dotted path of the node about to be added to the innermost open collection.</summary>
    private static string? ChildPath(Stack<Frame> open)
    {
        if (open.Count == 0)
            return null;
        var parent = open.Peek();
        return parent.Node switch
        {
            YamlListNode list => $"{parent.Path}[{list.Items.Count}]",
            _ when parent.PendingKey is { } key => Join(parent.Path, key.Text),
            _ => parent.Path.Length == 0 ? null : parent.Path,
        };
    }

    /// <summary>Dotted path of a key; an empty key shows as '' so the path stays readable.</summary>
    internal static string Join(string path, string key)
    {
        if (key.Length == 0)
            key = "''";
        return path.Length == 0 ? key : $"{path}.{key}";
    }

    private static SpecException Error(string message, string? field, Mark at) =>
        Error(message, field, (int)at.Line, (int)at.Column);

    private static SpecException Error(string message, string? field, int line, int column) =>
        new(new SpecError(message, field, line, column));

    private sealed class Frame(YamlTreeNode node, string? path, string? anchor)
    {
        public YamlTreeNode Node { get; } = node;
        public string Path { get; } = path ?? string.Empty;
        public string? Anchor { get; } = anchor;
        public YamlScalarNode? PendingKey { get; set; }
        public long Size { get; set; } = 1;
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Carries the first validation error out of the tree walk; never escapes <see cref="SpecParser.Parse"/>.</summary>
internal sealed class SpecException(SpecError error) : Exception(error.Message)
{
    public SpecError Error { get; } = error;
}
