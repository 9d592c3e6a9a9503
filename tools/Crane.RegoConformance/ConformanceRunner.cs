using System.Globalization;
using System.Text.RegularExpressions;
using Crane.Rego;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Crane.RegoConformance;

/// <summary>A case that did not behave as OPA's YAML says.</summary>
public sealed record ConformanceFailure(string File, string Note, string Want, string Got);

public sealed record ConformanceSummary(int Passed, int Failed, int Skipped, IReadOnlyList<ConformanceFailure> Failures)
{
    public int Total => Passed + Failed + Skipped;
}

/// <summary>A known gap: cases of a file (by note, or "*" for all) that Crane deliberately leaves out.</summary>
public sealed record ConformanceSkip(string File, string Note, string Reason)
{
    /// <summary>Lines of "file TAB note TAB reason"; '#' starts a comment.</summary>
    public static IReadOnlyList<ConformanceSkip> Load(string? path)
    {
        if (path is null || !System.IO.File.Exists(path)) return [];
        var result = new List<ConformanceSkip>();
        foreach (var raw in System.IO.File.ReadAllLines(path))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('\t');
            if (parts.Length < 3) throw new FormatException($"{path}: expected 'file<TAB>note<TAB>reason': {line}");
            result.Add(new ConformanceSkip(parts[0], parts[1], parts[2]));
        }
        return result;
    }

    public bool Matches(string file, string note) =>
        File == file && (Note == "*" || Note == note);
}

/// <summary>Runs OPA's YAML conformance cases against Crane's Rego engine.</summary>
public static class ConformanceRunner
{
    public static ConformanceSummary Run(string dir, IReadOnlyList<ConformanceSkip> skips, TextWriter? log = null)
    {
        int passed = 0, skipped = 0;
        var failures = new List<ConformanceFailure>();
        var files = Directory.GetFiles(dir, "*.yaml", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal);
        foreach (var path in files)
        {
            var rel = Path.GetRelativePath(dir, path).Replace('\\', '/');
            List<YamlMappingNode> cases;
            try
            {
                cases = LoadCases(path);
            }
            catch (YamlException e)
            {
                failures.Add(new ConformanceFailure(rel, "(file)", "parsable YAML", e.Message));
                continue;
            }
            foreach (var c in cases)
            {
                var note = Scalar(c, "note") ?? "(no note)";
                if (skips.Any(s => s.Matches(rel, note)))
                {
                    skipped++;
                    continue;
                }
                var failure = RunCase(rel, note, c);
                if (failure is null) passed++;
                else
                {
                    failures.Add(failure);
                    log?.WriteLine($"FAIL {failure.File} :: {failure.Note}\n  want: {failure.Want}\n  got:  {failure.Got}");
                }
            }
        }
        return new ConformanceSummary(passed, failures.Count, skipped, failures);
    }

    private static List<YamlMappingNode> LoadCases(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        var result = new List<YamlMappingNode>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is not YamlMappingNode root) continue;
            if (!root.Children.TryGetValue(new YamlScalarNode("cases"), out var cs) || cs is not YamlSequenceNode seq) continue;
            result.AddRange(seq.Children.OfType<YamlMappingNode>());
        }
        return result;
    }

    private static YamlNode? Get(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode m, string key) => (Get(m, key) as YamlScalarNode)?.Value;

    private static bool Flag(YamlMappingNode m, string key) => Scalar(m, key) is "true" or "True";

    internal static ConformanceFailure? RunCase(string file, string note, YamlMappingNode c)
    {
        try
        {
            return RunCaseCore(file, note, c);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new ConformanceFailure(file, note, "no crash", $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static ConformanceFailure? RunCaseCore(string file, string note, YamlMappingNode c)
    {
        var modules = (Get(c, "modules") as YamlSequenceNode)?.Children.Select((m, i) => ($"test-{i}.rego", ((YamlScalarNode)m).Value ?? "")).ToList() ?? [];
        var query = Scalar(c, "query") ?? "";
        var wantCode = Scalar(c, "want_error_code");
        var wantError = Scalar(c, "want_error");
        bool wantsError = wantCode is not null || wantError is not null;
        var data = Get(c, "data") is { } d ? ToValue(d) : null;
        Value? input = null;
        if (Scalar(c, "input_term") is { } term)
        {
            var parsed = CompiledPolicy.ParseValue(term);
            if (!parsed.IsOk) return new ConformanceFailure(file, note, "input_term parses", parsed.Error!.ToString());
            input = parsed.Value;
        }
        else if (Get(c, "input") is { } i) input = ToValue(i);
        if (data is NullValue) data = null;

        var options = new EvalOptions
        {
            StrictBuiltinErrors = Flag(c, "strict_error"),
            MaxSteps = 20_000_000,
            Timeout = TimeSpan.FromSeconds(20),
        };
        RegoError? error = null;
        QueryResult? result = null;
        var compiled = RegoCompiler.Compile(modules);
        if (!compiled.IsOk) error = compiled.Error;
        else
        {
            var r = compiled.Value!.Evaluate(query, input, data, options);
            if (r.IsOk) result = r.Value;
            else error = r.Error;
        }

        if (wantsError)
        {
            var wantErr = $"error {wantCode} {Quote(wantError)}";
            if (error is null) return new ConformanceFailure(file, note, wantErr, Describe(result!));
            var text = $"{error.File}:{error.Line}: {error.Code}: {error.Message}";
            if (wantCode is not null && wantCode != error.Code) return new ConformanceFailure(file, note, wantErr, error.ToString());
            if (wantError is not null && !text.Contains(wantError, StringComparison.Ordinal) && !error.Message.Contains(wantError, StringComparison.Ordinal))
                return new ConformanceFailure(file, note, wantErr, error.ToString());
            return null;
        }
        var wantRows = Get(c, "want_result") is YamlSequenceNode ws
            ? ws.Children.Select(row => (ObjectValue)ToValue(row)).ToList()
            : [];
        var wantText = "[" + string.Join(", ", wantRows.Select(r => r.ToString())) + "]";
        if (error is not null) return new ConformanceFailure(file, note, wantText, error.ToString());
        bool sort = Flag(c, "sort_bindings");
        var gotRows = result!.Rows.Select(r => Normalize(ObjectValue.From(r.Vars.Select(kv => new KeyValuePair<Value, Value>(Value.String(kv.Key), kv.Value.ToJsonValue()))), sort)).ToList();
        var want = wantRows.Select(r => Normalize(r, sort)).ToList();
        if (!SameRows(want, gotRows)) return new ConformanceFailure(file, note, wantText, Describe(result));
        return null;
    }

    private static string Quote(string? s) => s is null ? "" : "\"" + s + "\"";

    private static string Describe(QueryResult r) =>
        "[" + string.Join(", ", r.Rows.Select(row => ObjectValue.From(row.Vars.Select(kv => new KeyValuePair<Value, Value>(Value.String(kv.Key), kv.Value.ToJsonValue()))).ToString())) + "]";

    private static Value Normalize(ObjectValue row, bool sort)
    {
        if (!sort) return row;
        return ObjectValue.From(row.Pairs.Select(p => new KeyValuePair<Value, Value>(p.Key,
            p.Value is ArrayValue a ? new ArrayValue(a.Items.OrderBy(x => x).ToArray()) : p.Value)));
    }

    private static bool SameRows(List<Value> want, List<Value> got)
    {
        if (want.Count != got.Count) return false;
        var remaining = new List<Value>(got);
        foreach (var w in want)
        {
            int i = remaining.FindIndex(g => g.Equals(w));
            if (i < 0) return false;
            remaining.RemoveAt(i);
        }
        return true;
    }

    private static readonly Regex NumberPattern = new(@"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$", RegexOptions.CultureInvariant);

    /// <summary>YAML to a Rego value with the YAML 1.2 core schema: plain scalars may be null, booleans or numbers.</summary>
    internal static Value ToValue(YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode s:
            {
                var text = s.Value ?? "";
                if (s.Style is ScalarStyle.Plain)
                {
                    if (text is "" or "~" or "null" or "Null" or "NULL") return Value.Null;
                    if (text is "true" or "True" or "TRUE") return Value.True;
                    if (text is "false" or "False" or "FALSE") return Value.False;
                    if (NumberPattern.IsMatch(text) && RegoNumber.TryParse(text, out var n)) return Value.Number(n);
                    if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex)) return Value.Number(hex);
                }
                return Value.String(text);
            }
            case YamlSequenceNode seq:
                return new ArrayValue(seq.Children.Select(ToValue).ToArray());
            case YamlMappingNode map:
                return ObjectValue.From(map.Children.Select(kv => new KeyValuePair<Value, Value>(
                    Value.String(((YamlScalarNode)kv.Key).Value ?? ""), ToValue(kv.Value))));
        }
        return Value.Null;
    }
}
