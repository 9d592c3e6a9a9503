using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crane.Rego;

namespace Crane.Actors.Policy;

/// <summary>A policy module failed to compile; Line and Column are 1-based (0 when unknown).</summary>
public sealed record PolicyProblem(string Policy, string Message, int Line, int Column);

/// <summary>The engine cannot answer (OPA down, timeout, evaluation error).</summary>
public sealed class PolicyUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Evaluates Rego documents for Crane's decision points. One implementation embeds Crane.Rego, the other asks an OPA server.</summary>
public interface IPolicyEngine
{
    string Name { get; }

    /// <summary>Checks a module on its own (null when it compiles).</summary>
    Task<PolicyProblem?> Check(string policy, string source, CancellationToken ct);

    /// <summary>Installs the full set of modules (policy id → source).</summary>
    Task Load(IReadOnlyDictionary<string, string> modules, CancellationToken ct);

    /// <summary>The value of data.&lt;path&gt; (dotted, e.g. crane.admission.deny) for the input; null when undefined.</summary>
    Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, CancellationToken ct);
}

/// <summary>
/// Crane's own Rego evaluator. Each policy module is compiled and evaluated on its own, so every
/// violation is attributed to its policy (and its enforcement: deny, warn or dryrun).
/// </summary>
public sealed class EmbeddedPolicyEngine(TimeProvider time) : IPolicyEngine
{
    private static readonly EvalOptions Limits = new() { MaxSteps = 200_000, Timeout = TimeSpan.FromSeconds(1) };
    private Dictionary<string, CompiledPolicy> _compiled = new(StringComparer.Ordinal);

    public string Name => "embedded";

    public Task<PolicyProblem?> Check(string policy, string source, CancellationToken ct)
    {
        var result = RegoCompiler.Compile(policy, source);
        return Task.FromResult(result.IsOk ? null : new PolicyProblem(policy, result.Error!.Message, result.Error.Line, result.Error.Column));
    }

    public Task Load(IReadOnlyDictionary<string, string> modules, CancellationToken ct)
    {
        var compiled = new Dictionary<string, CompiledPolicy>(StringComparer.Ordinal);
        foreach (var (id, source) in modules)
        {
            var result = RegoCompiler.Compile(id, source);
            if (result.IsOk)
                compiled[id] = result.Value!;
        }

        _compiled = compiled;
        return Task.CompletedTask;
    }

    private sealed record ConvertedInput(JsonNode Json, Value Value);

    private ConvertedInput? _lastInput;

    public Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, CancellationToken ct)
    {
        if (!_compiled.TryGetValue(policy, out var compiled))
            return Task.FromResult<JsonNode?>(null);
        var result = compiled.EvaluateValue("data." + path, InputValue(input), null, Limits with { TimeProvider = time });
        if (!result.IsOk)
            throw new PolicyUnavailableException($"policy {policy}: {result.Error}");
        return Task.FromResult(result.Value?.ToJsonNode());
    }

    /// <summary>
    /// One decision asks every module for deny and warn with the same input document: convert it to
    /// Rego values once (the conversion was ~75 % of an admission decision, docs/benchmarks.md).
    /// </summary>
    private Value InputValue(JsonNode input)
    {
        if (_lastInput is { } last && ReferenceEquals(last.Json, input))
            return last.Value;
        var converted = new ConvertedInput(input, Value.FromJson(input));
        _lastInput = converted;
        return converted.Value;
    }
}

/// <summary>
/// A real OPA server over its REST API: modules go to PUT /v1/policies/&lt;id&gt;, decisions come
/// from POST /v1/data/&lt;path&gt;. OPA merges all modules into one document tree, so a decision
/// is evaluated once for all policies (attributed to the pseudo-policy "opa").
/// </summary>
public sealed class OpaPolicyEngine(HttpClient http) : IPolicyEngine
{
    public const string MergedPolicy = "opa";
    private HashSet<string> _loaded = new(StringComparer.Ordinal);

    public string Name => "opa";

    public async Task<PolicyProblem?> Check(string policy, string source, CancellationToken ct)
    {
        // OPA compiles on upload: a module under a scratch id tells whether it compiles, then goes away.
        var scratch = $"crane-check-{Guid.NewGuid():N}";
        var response = await Send(HttpMethod.Put, $"v1/policies/{scratch}", new StringContent(source), ct);
        if (response.IsSuccessStatusCode)
        {
            await Send(HttpMethod.Delete, $"v1/policies/{scratch}", null, ct);
            return null;
        }

        return ProblemFrom(policy, await response.Content.ReadAsStringAsync(ct));
    }

    public async Task Load(IReadOnlyDictionary<string, string> modules, CancellationToken ct)
    {
        foreach (var (id, source) in modules)
        {
            var response = await Send(HttpMethod.Put, $"v1/policies/{Uri.EscapeDataString(id)}", new StringContent(source), ct);
            if (!response.IsSuccessStatusCode)
                throw new PolicyUnavailableException($"OPA refused policy {id}: {await response.Content.ReadAsStringAsync(ct)}");
        }

        foreach (var gone in _loaded.Where(id => !modules.ContainsKey(id)))
            await Send(HttpMethod.Delete, $"v1/policies/{Uri.EscapeDataString(gone)}", null, ct);
        _loaded = modules.Keys.ToHashSet(StringComparer.Ordinal);
    }

    public async Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, CancellationToken ct)
    {
        var body = JsonContent.Create(new JsonObject { ["input"] = input.DeepClone() });
        var response = await Send(HttpMethod.Post, "v1/data/" + path.Replace('.', '/'), body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new PolicyUnavailableException($"OPA answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?["result"]?.DeepClone();
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            return await http.SendAsync(request, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw new PolicyUnavailableException($"OPA at {http.BaseAddress} did not answer: {ex.Message}", ex);
        }
    }

    /// <summary>OPA's error body: {"code": ..., "message": ..., "errors": [{"message", "location": {"file", "row", "col"}}]}.</summary>
    private static PolicyProblem ProblemFrom(string policy, string body)
    {
        try
        {
            var root = JsonNode.Parse(body);
            var first = root?["errors"]?.AsArray().FirstOrDefault();
            var location = first?["location"];
            return new PolicyProblem(policy, first?["message"]?.GetValue<string>() ?? root?["message"]?.GetValue<string>() ?? body,
                location?["row"]?.GetValue<int>() ?? 0, location?["col"]?.GetValue<int>() ?? 0);
        }
        catch (JsonException)
        {
            return new PolicyProblem(policy, body, 0, 0);
        }
    }
}
