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

    /// <summary>
    /// The budget of one decision (admission, scheduling over every node, scaling): every <see cref="Evaluate"/>
    /// made for that decision draws from it, so modules × nodes cannot multiply the time a decision may take.
    /// </summary>
    EvaluationBudget StartDecision();

    /// <summary>The value of data.&lt;path&gt; (dotted, e.g. crane.admission.deny) for the input; null when undefined.</summary>
    Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, EvaluationBudget decision, CancellationToken ct);
}

/// <summary>Per-decision limits of the policy engines (--policy-max-steps, --policy-timeout-seconds).</summary>
public static class PolicyLimits
{
    /// <summary>
    /// Steps and time of one decision, all modules and nodes together. Each evaluation used to get 200,000 steps
    /// and 1 s on its own; the deploy/policies samples take about 250 steps per admission and 30 per node when
    /// scheduling, so 1,000,000 leaves room for thousands of nodes and far larger policies, and 1 s keeps the old
    /// time bound, now for the whole decision.
    /// </summary>
    public static EvalOptions Default { get; } = new() { MaxSteps = 1_000_000, Timeout = TimeSpan.FromSeconds(1) };
}

/// <summary>
/// Crane's own Rego evaluator. Each policy module is compiled and evaluated on its own, so every
/// violation is attributed to its policy (and its enforcement: deny, warn or dryrun).
/// </summary>
/// <param name="limits">Per-decision steps and timeout, and the built-in size caps; <see cref="PolicyLimits.Default"/> when null.</param>
public sealed class EmbeddedPolicyEngine(TimeProvider time, EvalOptions? limits = null) : IPolicyEngine
{
    private readonly EvalOptions _limits = (limits ?? PolicyLimits.Default) with { TimeProvider = time };
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

    public EvaluationBudget StartDecision() => new(_limits.MaxSteps, _limits.Timeout, time);

    public Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, EvaluationBudget decision, CancellationToken ct)
    {
        if (!_compiled.TryGetValue(policy, out var compiled))
            return Task.FromResult<JsonNode?>(null);
        RegoResult<Value?> result;
        try
        {
            result = compiled.EvaluateValue("data." + path, InputValue(input), null, _limits with { Budget = decision });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect in the engine must not decide anything either: the decision point fails closed.
            throw new PolicyUnavailableException($"policy {policy}: the embedded engine failed: {ex.GetType().Name}: {ex.Message}", ex);
        }

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
/// <param name="decisionTimeout">Time for all requests of one decision together; <see cref="PolicyLimits.Default"/>'s when null.</param>
public sealed class OpaPolicyEngine(HttpClient http, TimeSpan? decisionTimeout = null) : IPolicyEngine
{
    public const string MergedPolicy = "opa";
    private HashSet<string> _loaded = new(StringComparer.Ordinal);

    public string Name => "opa";

    // OPA counts no steps for Crane: only the deadline applies.
    public EvaluationBudget StartDecision() => new(long.MaxValue, decisionTimeout ?? PolicyLimits.Default.Timeout);

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

    public async Task<JsonNode?> Evaluate(string policy, string path, JsonNode input, EvaluationBudget decision, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (decision.TimeLeft() is { } left)
        {
            if (left <= TimeSpan.Zero)
                throw new PolicyUnavailableException($"the decision exceeded its time budget of {decision.Timeout}");
            deadline.CancelAfter(left);
        }

        var body = JsonContent.Create(new JsonObject { ["input"] = input.DeepClone() });
        var response = await Send(HttpMethod.Post, "v1/data/" + path.Replace('.', '/'), body, deadline.Token);
        string text;
        try { text = await response.Content.ReadAsStringAsync(deadline.Token); }
        catch (OperationCanceledException ex) { throw new PolicyUnavailableException($"OPA at {http.BaseAddress} did not finish its answer: {ex.Message}", ex); }
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
