using System.Globalization;
using System.Text.RegularExpressions;

namespace Crane.Contracts.Specs;

/// <summary>
/// Parses and validates a workload spec written in YAML or JSON (JSON is read as YAML flow style), keeping the
/// position of every node so that each error names its field, line and column. Unknown fields are errors.
/// </summary>
/// <remarks>
/// Decisions beyond DESIGN.md §6:
/// <list type="bullet">
/// <item>Probe port: an http or tcp probe without <c>port</c> uses the workload <c>port</c>; when that is absent
/// too the runtime uses 8080. The parser leaves <see cref="ProbeSpec.Port"/> null so the seed example parses.</item>
/// <item>Probe fields that do not fit the type are errors: <c>path</c> only for http, <c>command</c> only for
/// exec, <c>port</c> not for exec.</item>
/// <item><c>command</c> (workload and exec probe) is a non-empty list of strings, or one string meaning
/// <c>["sh", "-c", string]</c>; <c>args</c> is a list only.</item>
/// <item>String fields take any non-null scalar as its text (<c>image: node:18</c>, <c>FOO: 3</c>); number
/// fields reject quoted scalars ("3" is a string, in YAML and in JSON).</item>
/// <item>A null value (<c>~</c>, <c>null</c>, nothing) is the same as leaving the field out; in env and labels
/// it is the empty string.</item>
/// <item><c>autoscaling.max</c> and <c>autoscaling.target</c> are required; <c>min</c> defaults to 1 and
/// <c>metric</c> to cpu; <c>max</c> is capped at the replicas limit (1000).</item>
/// <item>Env names: printable ASCII without '=' or spaces. Label keys: Kubernetes label-key syntax; label
/// values are free text. Constraint keys and spreadKey: non-empty without whitespace.</item>
/// <item><c>health: {}</c> parses to no health block.</item>
/// <item>YAML: one document; anchors and aliases resolve; keys are strings and unique; only yaml.org tags
/// (<c>!!str</c> forces a string); nesting deeper than 32 levels is rejected before building anything.</item>
/// <item>Size: at most 100 alias uses, and at most 1 MiB of nodes and characters with aliases expanded (so also of
/// raw text); the error points at the alias or node that crossed the limit.</item>
/// <item>No C0 control character but tab, LF and CR, and no DEL, anywhere: raw, or in a scalar after YAML or JSON
/// unescaping (<c>"\0"</c>, <c>"\u0007"</c>). The field is named when the character is in a scalar.</item>
/// <item>resources.cpu from 1m to 10^6 cores; resources.memory at least 4Mi; durations (<c>*Seconds</c>) at most one
/// day; replicas and autoscaling min/max at most <see cref="MaxReplicas"/>.</item>
/// </list>
/// </remarks>
public static partial class SpecParser
{
    /// <summary>The most replicas a spec, a scale request or an alert action may ask for.</summary>
    public const int MaxReplicas = 1000;

    private static readonly string[] WorkloadKeys =
    [
        "name", "image", "replicas", "resources", "health", "autoscaling", "port", "command", "args", "env", "secretEnv",
        "labels", "constraints", "strategy", "spreadKey", "runtime", "restartPolicy",
    ];
    private static readonly string[] ResourceKeys = ["cpu", "memory"];
    private static readonly string[] HealthKeys = ["liveness", "readiness", "startup"];
    private static readonly string[] ProbeKeys =
    [
        "type", "path", "port", "command", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
        "failureThreshold", "successThreshold",
    ];
    private static readonly string[] AutoscalingKeys = ["min", "max", "metric", "target", "query", "behavior"];
    private static readonly string[] BehaviorKeys = ["scaleUp", "scaleDown"];
    private static readonly string[] RulesKeys = ["stabilizationWindowSeconds", "selectPolicy", "policies"];
    private static readonly string[] PolicyKeys = ["type", "value", "periodSeconds"];
    private static readonly string[] ConstraintKeys = ["key", "operator", "values"];

    private static readonly string[] ProbeTypes = ["http", "tcp", "exec"];
    private static readonly string[] Metrics = ["cpu", "memory", "custom"];
    private static readonly string[] SelectPolicies = ["Max", "Min", "Disabled"];
    private static readonly string[] PolicyTypes = ["Pods", "Percent"];
    private static readonly string[] Operators = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
    private static readonly string[] Runtimes = ["docker", "process"];
    private static readonly string[] RestartPolicies = ["Always", "OnFailure", "Never"];

    private static readonly ProbeSpec ProbeDefaults = new() { Type = "http" };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex StrategyName();

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex("^[!-<>-~]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvName();

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerText();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberText();

    /// <summary>Never throws: malformed or invalid input comes back as <see cref="SpecParseResult.Error"/>.</summary>
    public static SpecParseResult Parse(string body)
    {
        try
        {
            return new SpecParseResult(ReadWorkload(YamlTree.Load(body ?? string.Empty)), null);
        }
        catch (SpecException e)
        {
            return new SpecParseResult(null, e.Error);
        }
    }

    private static WorkloadSpec ReadWorkload(YamlTreeNode? root)
    {
        if (root is null or YamlScalarNode { IsNull: true })
            throw new SpecException(new SpecError("the spec is empty", null, root?.Line ?? 1, root?.Column ?? 1));
        if (root is not YamlMapNode map)
            throw Error($"a spec must be a mapping, got {root.Describe()}", null, root);

        var f = new Fields(map, "", WorkloadKeys);

        var name = f.RequiredString("name");
        if (!DnsLabel().IsMatch(name))
            throw f.Invalid("name", $"name '{name}' must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit");

        var image = f.RequiredString("image");
        if (image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw f.Invalid("image", $"image '{image}' must not contain whitespace");

        var strategy = f.String("strategy");
        if (strategy is not null && !StrategyName().IsMatch(strategy))
            throw f.Invalid("strategy", $"strategy '{strategy}' must match [a-z][a-z0-9-]*");

        var spreadKey = f.String("spreadKey");
        if (spreadKey is not null && !IsToken(spreadKey))
            throw f.Invalid("spreadKey", "spreadKey must be non-empty and contain no whitespace");

        return new WorkloadSpec
        {
            Name = name,
            Image = image,
            Replicas = f.Integer("replicas", 0, MaxReplicas) ?? 1,
            Resources = ReadResources(f),
            Health = ReadHealth(f),
            Autoscaling = ReadAutoscaling(f),
            Port = f.Integer("port", 1, 65535),
            Command = ReadCommand(f, "command"),
            Args = f.Node("args") is { } args ? ReadStringList(args, f.PathOf("args")) : null,
            Env = ReadStringMap(f, "env", EnvName().IsMatch, "printable ASCII without '=' or spaces"),
            SecretEnv = f.Node("secretEnv") is { } secretEnv ? ReadStringList(secretEnv, f.PathOf("secretEnv")) : null,
            Labels = ReadStringMap(f, "labels", LabelKey().IsMatch, "a Kubernetes label key ([prefix/]name, name at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric)"),
            Constraints = ReadConstraints(f),
            Strategy = strategy,
            SpreadKey = spreadKey,
            Runtime = f.OneOf("runtime", Runtimes),
            RestartPolicy = f.OneOf("restartPolicy", RestartPolicies) ?? "Always",
        };
    }

    private static ResourceSpec ReadResources(Fields parent)
    {
        var defaults = ResourceSpec.Default;
        if (parent.Object("resources", ResourceKeys) is not { } f)
            return defaults;

        var cpu = defaults.Cpu;
        if (f.String("cpu") is { } cpuText)
        {
            if (!Quantity.TryParseCpu(cpuText, out cpu))
                throw f.Invalid("cpu", $"resources.cpu '{cpuText}' is not a cpu quantity: use cores (0.5, 2) or millicores (500m)");
            if (cpu < SpecLimits.MinCpuCores)
                throw f.Invalid("cpu", $"resources.cpu must be at least 1m (0.001 cores), got '{cpuText}'");
            if (cpu > SpecLimits.MaxCpuCores)
                throw f.Invalid("cpu", $"resources.cpu must be at most {SpecLimits.MaxCpuCores} cores, got '{cpuText}'");
        }

        var memory = defaults.Memory;
        if (f.String("memory") is { } memoryText)
        {
            if (!Quantity.TryParseMemory(memoryText, out memory))
                throw f.Invalid("memory", $"resources.memory '{memoryText}' is not a memory quantity: use bytes or a suffix Ki, Mi, Gi, Ti (1024-based) or K, M, G, T (1000-based), e.g. 256Mi; at most 8388607Ti");
            if (memory < SpecLimits.MinMemoryBytes)
                throw f.Invalid("memory", $"resources.memory must be at least 4Mi ({SpecLimits.MinMemoryBytes} bytes), got '{memoryText}'");
        }

        return new ResourceSpec(cpu, memory);
    }

    private static HealthSpec? ReadHealth(Fields parent)
    {
        if (parent.Object("health", HealthKeys) is not { } f)
            return null;
        var liveness = ReadProbe(f, "liveness", successMustBeOne: true);
        var readiness = ReadProbe(f, "readiness", successMustBeOne: false);
        var startup = ReadProbe(f, "startup", successMustBeOne: true);
        return liveness is null && readiness is null && startup is null
            ? null
            : new HealthSpec(liveness, readiness, startup);
    }

    private static ProbeSpec? ReadProbe(Fields health, string key, bool successMustBeOne)
    {
        if (health.Object(key, ProbeKeys) is not { } f)
            return null;

        var type = f.OneOf("type", ProbeTypes) ?? throw f.Missing("type");

        var path = f.String("path");
        if (type == "http")
        {
            if (path is null)
                throw f.Missing("path");
            if (!path.StartsWith('/') || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                throw f.Invalid("path", $"{f.PathOf("path")} must start with '/' and contain no whitespace, got '{path}'");
        }
        else if (path is not null)
        {
            throw f.Invalid("path", $"{f.PathOf("path")} applies only to http probes");
        }

        var port = f.Integer("port", 1, 65535);
        if (port is not null && type == "exec")
            throw f.Invalid("port", $"{f.PathOf("port")} does not apply to exec probes");

        var command = ReadCommand(f, "command");
        if (type == "exec" && command is null)
            throw f.Missing("command");
        if (type != "exec" && command is not null)
            throw f.Invalid("command", $"{f.PathOf("command")} applies only to exec probes");

        var success = f.Integer("successThreshold", 1, int.MaxValue) ?? ProbeDefaults.SuccessThreshold;
        if (successMustBeOne && success != 1)
            throw f.Invalid("successThreshold", $"{f.PathOf("successThreshold")} must be 1 for {key} probes, got {success}");

        return new ProbeSpec
        {
            Type = type,
            Path = path,
            Port = port,
            Command = command,
            InitialDelaySeconds = f.Seconds("initialDelaySeconds", positive: false) ?? ProbeDefaults.InitialDelaySeconds,
            PeriodSeconds = f.Seconds("periodSeconds", positive: true) ?? ProbeDefaults.PeriodSeconds,
            TimeoutSeconds = f.Seconds("timeoutSeconds", positive: true) ?? ProbeDefaults.TimeoutSeconds,
            FailureThreshold = f.Integer("failureThreshold", 1, int.MaxValue) ?? ProbeDefaults.FailureThreshold,
            SuccessThreshold = success,
        };
    }

    private static AutoscalingSpec? ReadAutoscaling(Fields parent)
    {
        if (parent.Object("autoscaling", AutoscalingKeys) is not { } f)
            return null;

        var min = f.Integer("min", 1, MaxReplicas) ?? 1;
        var max = f.Integer("max", 1, MaxReplicas) ?? throw f.Missing("max");
        if (max < min)
            throw f.Invalid("max", $"autoscaling.max ({max}) must be at least autoscaling.min ({min})");

        var metric = f.OneOf("metric", Metrics) ?? "cpu";
        var target = f.Number("target", positive: true) ?? throw f.Missing("target");

        var query = f.String("query");
        if (metric == "custom" && string.IsNullOrWhiteSpace(query))
            throw query is null ? f.Missing("query") : f.Invalid("query", "autoscaling.query must not be empty");
        if (metric != "custom" && query is not null)
            throw f.Invalid("query", $"autoscaling.query is only allowed with metric: custom, not {metric}");

        ScalingBehaviorSpec? behavior = null;
        if (f.Object("behavior", BehaviorKeys) is { } b)
        {
            var up = ReadRules(b, "scaleUp");
            var down = ReadRules(b, "scaleDown");
            behavior = up is null && down is null ? null : new ScalingBehaviorSpec(up, down);
        }

        return new AutoscalingSpec { Min = min, Max = max, Metric = metric, Target = target, Query = query, Behavior = behavior };
    }

    private static ScalingRulesSpec? ReadRules(Fields behavior, string key)
    {
        if (behavior.Object(key, RulesKeys) is not { } f)
            return null;

        var policies = new List<ScalingPolicySpec>();
        if (f.List("policies") is { } list)
        {
            for (var i = 0; i < list.Items.Count; i++)
            {
                var p = Fields.Of(list.Items[i], $"{f.PathOf("policies")}[{i}]", PolicyKeys);
                policies.Add(new ScalingPolicySpec(
                    p.OneOf("type", PolicyTypes) ?? throw p.Missing("type"),
                    p.Integer("value", 1, int.MaxValue) ?? throw p.Missing("value"),
                    p.Seconds("periodSeconds", positive: true) ?? throw p.Missing("periodSeconds")));
            }
        }

        return new ScalingRulesSpec
        {
            StabilizationWindowSeconds = f.Seconds("stabilizationWindowSeconds", positive: false),
            SelectPolicy = f.OneOf("selectPolicy", SelectPolicies),
            Policies = policies,
        };
    }

    private static List<ConstraintSpec> ReadConstraints(Fields parent)
    {
        var constraints = new List<ConstraintSpec>();
        if (parent.List("constraints") is not { } list)
            return constraints;

        for (var i = 0; i < list.Items.Count; i++)
        {
            var f = Fields.Of(list.Items[i], $"constraints[{i}]", ConstraintKeys);

            var key = f.RequiredString("key");
            if (!IsToken(key))
                throw f.Invalid("key", $"{f.PathOf("key")} must contain no whitespace, got '{key}'");

            var op = f.OneOf("operator", Operators) ?? throw f.Missing("operator");
            var values = f.Node("values") is { } v ? ReadStringList(v, f.PathOf("values")) : [];
            switch (op)
            {
                case "In" or "NotIn" when values.Count == 0:
                    throw f.Node("values") is null ? f.Missing("values") : f.Invalid("values", $"{f.PathOf("values")} needs at least one value for {op}");
                case "Exists" or "DoesNotExist" when values.Count > 0:
                    throw f.Invalid("values", $"{f.PathOf("values")} must be empty for {op}");
                case "Gt" or "Lt" when values.Count != 1:
                    throw f.Node("values") is null ? f.Missing("values") : f.Invalid("values", $"{f.PathOf("values")} needs exactly one integer value for {op}, got {values.Count}");
                case "Gt" or "Lt" when !IntegerText().IsMatch(values[0]) || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _):
                    var item = ((YamlListNode)f.Node("values")!).Items[0];
                    throw Error($"{f.PathOf("values")}[0] must be an integer for {op}, got '{values[0]}'", $"{f.PathOf("values")}[0]", item);
            }

            constraints.Add(new ConstraintSpec(key, op, values));
        }
        return constraints;
    }

    private static List<string>? ReadCommand(Fields f, string key)
    {
        if (f.Node(key) is not { } node)
            return null;
        var path = f.PathOf(key);
        if (node is YamlScalarNode scalar)
        {
            if (string.IsNullOrWhiteSpace(scalar.Text))
                throw f.Invalid(key, $"{path} must not be empty");
            return ["sh", "-c", scalar.Text];
        }
        if (node is not YamlListNode)
            throw f.Invalid(key, $"{path} must be a list of strings or a shell command string, got {node.Describe()}");

        var command = ReadStringList(node, path);
        if (command.Count == 0)
            throw f.Invalid(key, $"{path} must not be empty");
        if (command[0].Length == 0)
            throw Error($"{path}[0] must name the program to run", $"{path}[0]", ((YamlListNode)node).Items[0]);
        return command;
    }

    private static List<string> ReadStringList(YamlTreeNode node, string path)
    {
        if (node is not YamlListNode list)
            throw Error($"{path} must be a list of strings, got {node.Describe()}", path, node);
        var items = new List<string>(list.Items.Count);
        for (var i = 0; i < list.Items.Count; i++)
            items.Add(ScalarText(list.Items[i], $"{path}[{i}]", "a string"));
        return items;
    }

    private static Dictionary<string, string> ReadStringMap(Fields f, string key, Func<string, bool> validKey, string keyRule)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (f.Node(key) is not { } node)
            return result;
        if (node is not YamlMapNode map)
            throw f.Invalid(key, $"{f.PathOf(key)} must be a mapping of names to strings, got {node.Describe()}");

        foreach (var (k, v) in map.Entries)
        {
            var path = YamlTree.Join(f.PathOf(key), k.Text);
            if (!validKey(k.Text))
                throw Error($"{f.PathOf(key)} key '{k.Text}' must be {keyRule}", path, k);
            result[k.Text] = v is YamlScalarNode { IsNull: true } ? string.Empty : ScalarText(v, path, "a string");
        }
        return result;
    }

    private static bool IsToken(string text) =>
        text.Length > 0 && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    private static string ScalarText(YamlTreeNode node, string path, string expected) =>
        node is YamlScalarNode { IsNull: false } scalar
            ? scalar.Text
            : throw Error($"{path} must be {expected}, got {node.Describe()}", path, node);

    private static SpecException Error(string message, string? field, YamlTreeNode at) =>
        new(new SpecError(message, field, at.Line, at.Column));
}
