using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Messages;

namespace Crane.Actors.Policy;

/// <summary>Registry key for the policy singleton proxy.</summary>
public sealed class PolicySingleton;

// Persisted by PolicyActor.
public sealed record PolicyStored(string Id, string Source, string Enforcement);

public sealed record PolicyRemoved(string Id);

/// <summary>
/// Cluster singleton holding the Rego modules (persisted) and answering Crane's three decision
/// points through an <see cref="IPolicyEngine"/>: admission (data.crane.admission.deny / warn),
/// scheduling (data.crane.scheduling.deny per node) and scaling (data.crane.scaling.max_replicas / deny).
/// </summary>
public sealed class PolicyActor : ReceivePersistentActor
{
    private sealed record Loaded;

    private readonly IPolicyEngine _engine;
    private readonly EventPublisher _events;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SortedDictionary<string, PolicyView> _policies = new(StringComparer.Ordinal);

    public override string PersistenceId => "crane-policies";

    private readonly IReadOnlyList<PutPolicy> _startupPolicies;

    public PolicyActor(IPolicyEngine engine, EventPublisher events, IReadOnlyList<PutPolicy>? startupPolicies = null)
    {
        _engine = engine;
        _events = events;
        _startupPolicies = startupPolicies ?? [];
        Recover<PolicyStored>(e => _policies[e.Id] = new PolicyView(e.Id, Enum.Parse<Enforcement>(e.Enforcement), e.Source));
        Recover<PolicyRemoved>(e => _policies.Remove(e.Id));
        Recover<RecoveryCompleted>(_ =>
        {
            Reload();
            // Files from --policies-dir go through the same check as an upload; an unchanged one is not stored again.
            foreach (var put in _startupPolicies.Where(p => !_policies.TryGetValue(p.Id, out var have) || have.Source != p.Source || have.Enforcement != p.Enforcement))
                Self.Tell(put, Self);
        });
        Command<PolicyView>(_ => { });
        Command<PolicyInvalid>(bad =>
        {
            _log.Warning("Policy file {0} does not compile: {1} (line {2}, column {3})", bad.Id, bad.Message, bad.Line, bad.Column);
            _events.Warning("PolicyInvalid", "Policy", bad.Id, null, $"policy file {bad.Id} was not loaded: {bad.Message} at line {bad.Line}, column {bad.Column}");
        });
        Command<PutPolicy>(Put);
        Command<DeletePolicy>(Delete);
        Command<GetPolicy>(g => Sender.Tell(_policies.TryGetValue(g.Id, out var p) ? p : new PolicyNotFound(g.Id)));
        Command<ListPolicies>(_ => Sender.Tell(new PolicyListView(_policies.Values.ToList())));
        Command<EvaluateAdmission>(a => Admission(a).PipeTo(Sender));
        Command<EvaluateScheduling>(s => Scheduling(s).PipeTo(Sender));
        Command<EvaluateScaling>(s => Scaling(s).PipeTo(Sender));
        Command<Checked>(Store);
        Command<Loaded>(_ => { });
        Command<Status.Failure>(f => _log.Warning("Loading policies into {0} failed: {1}", _engine.Name, f.Cause.Message));
    }

    public static Props Props(IPolicyEngine engine, EventPublisher events, IReadOnlyList<PutPolicy>? startupPolicies = null) =>
        Akka.Actor.Props.Create(() => new PolicyActor(engine, events, startupPolicies));

    private void Reload() =>
        _engine.Load(_policies.ToDictionary(kv => kv.Key, kv => kv.Value.Source), CancellationToken.None)
            .PipeTo(Self, success: () => new Loaded());

    private void Put(PutPolicy put)
    {
        var replyTo = Sender;
        var self = Self;
        _engine.Check(put.Id, put.Source, CancellationToken.None).ContinueWith(t =>
        {
            if (t.IsFaulted)
                replyTo.Tell(new PolicyInvalid(put.Id, t.Exception!.GetBaseException().Message, 0, 0));
            else if (t.Result is { } problem)
                replyTo.Tell(new PolicyInvalid(put.Id, problem.Message, problem.Line, problem.Column));
            else
                self.Tell(new Checked(put), replyTo);
        });
    }

    private sealed record Checked(PutPolicy Put);

    private void Store(Checked msg)
    {
        var put = msg.Put;
        Persist(new PolicyStored(put.Id, put.Source, put.Enforcement.ToString()), e =>
        {
            var view = new PolicyView(e.Id, put.Enforcement, e.Source);
            _policies[e.Id] = view;
            _events.Normal("PolicyLoaded", "Policy", e.Id, null, $"policy {e.Id} loaded ({put.Enforcement.ToString().ToLowerInvariant()})");
            Reload();
            Sender.Tell(view);
        });
    }

    private void Delete(DeletePolicy delete)
    {
        if (!_policies.ContainsKey(delete.Id))
        {
            Sender.Tell(new PolicyNotFound(delete.Id));
            return;
        }

        Persist(new PolicyRemoved(delete.Id), e =>
        {
            var removed = _policies[e.Id];
            _policies.Remove(e.Id);
            _events.Normal("PolicyRemoved", "Policy", e.Id, null, $"policy {e.Id} removed");
            Reload();
            Sender.Tell(removed);
        });
    }

    /// <summary>
    /// Which policies to ask: each on its own for the embedded engine; for OPA always its merged
    /// tree, which may also hold policies loaded into OPA by other means.
    /// </summary>
    private IEnumerable<(string Id, Enforcement Enforcement)> Targets() =>
        _engine is OpaPolicyEngine
            ? [(OpaPolicyEngine.MergedPolicy, Enforcement.Deny)]
            : _policies.Values.Select(p => (p.Id, p.Enforcement));

    private async Task<AdmissionDecision> Admission(EvaluateAdmission request)
    {
        var input = new JsonObject
        {
            ["workload"] = JsonNode.Parse(request.WorkloadJson),
            ["operation"] = request.Operation,
            ["user"] = request.User,
        };
        var deny = new List<PolicyViolation>();
        var warn = new List<PolicyViolation>();
        var dryRun = new List<PolicyViolation>();
        var budget = _engine.StartDecision();
        try
        {
            foreach (var (id, enforcement) in Targets())
            {
                foreach (var message in Messages(await _engine.Evaluate(id, "crane.admission.deny", input, budget, CancellationToken.None)))
                {
                    (enforcement switch { Enforcement.Deny => deny, Enforcement.Warn => warn, _ => dryRun }).Add(new PolicyViolation(id, message));
                }

                foreach (var message in Messages(await _engine.Evaluate(id, "crane.admission.warn", input, budget, CancellationToken.None)))
                    (enforcement == Enforcement.DryRun ? dryRun : warn).Add(new PolicyViolation(id, message));
            }
        }
        catch (PolicyUnavailableException ex)
        {
            CraneMetrics.PolicyDecisions.WithLabels("admission", "error").Inc();
            return new AdmissionDecision(false, [], [], [], ex.Message);
        }

        CraneMetrics.PolicyDecisions.WithLabels("admission", deny.Count > 0 ? "deny" : "allow").Inc();
        return new AdmissionDecision(true, deny, warn, dryRun, null);
    }

    private async Task<SchedulingDecision> Scheduling(EvaluateScheduling request)
    {
        var denied = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        // One budget for every module on every node: the decision, not each evaluation, is bounded.
        var budget = _engine.StartDecision();
        try
        {
            foreach (var nodeJson in request.NodesJson)
            {
                var node = JsonNode.Parse(nodeJson)!;
                var input = new JsonObject
                {
                    ["workload"] = JsonNode.Parse(request.WorkloadJson),
                    ["replica"] = request.ReplicaId,
                    ["node"] = node,
                };
                var reasons = new List<string>();
                foreach (var (id, enforcement) in Targets().Where(t => t.Enforcement == Enforcement.Deny))
                    reasons.AddRange(Messages(await _engine.Evaluate(id, "crane.scheduling.deny", input, budget, CancellationToken.None)));
                if (reasons.Count > 0)
                    denied[node["name"]!.GetValue<string>()] = reasons;
            }
        }
        catch (PolicyUnavailableException ex)
        {
            CraneMetrics.PolicyDecisions.WithLabels("scheduling", "error").Inc();
            return new SchedulingDecision(false, denied, ex.Message);
        }

        CraneMetrics.PolicyDecisions.WithLabels("scheduling", denied.Count > 0 ? "deny" : "allow").Inc();
        return new SchedulingDecision(true, denied, null);
    }

    private async Task<ScalingDecision> Scaling(EvaluateScaling request)
    {
        var input = new JsonObject
        {
            ["workload"] = JsonNode.Parse(request.WorkloadJson),
            ["current"] = request.Current,
            ["desired"] = request.Desired,
        };
        var allowed = request.Desired;
        var reasons = new List<string>();
        var budget = _engine.StartDecision();
        try
        {
            foreach (var (id, enforcement) in Targets().Where(t => t.Enforcement == Enforcement.Deny))
            {
                if (await _engine.Evaluate(id, "crane.scaling.max_replicas", input, budget, CancellationToken.None) is JsonValue max &&
                    max.TryGetValue<double>(out var limit) && limit < allowed)
                {
                    allowed = Math.Max(0, (int)Math.Floor(limit));
                    reasons.Add($"policy {id}: max_replicas {allowed}");
                }

                foreach (var message in Messages(await _engine.Evaluate(id, "crane.scaling.deny", input, budget, CancellationToken.None)))
                {
                    allowed = request.Current;
                    reasons.Add($"policy {id}: {message}");
                }
            }
        }
        catch (PolicyUnavailableException ex)
        {
            CraneMetrics.PolicyDecisions.WithLabels("scaling", "error").Inc();
            return new ScalingDecision(false, request.Desired, [], ex.Message);
        }

        CraneMetrics.PolicyDecisions.WithLabels("scaling", allowed == request.Desired ? "allow" : "limit").Inc();
        return new ScalingDecision(true, allowed, reasons, null);
    }

    /// <summary>A deny/warn document is a set (JSON array) of messages; anything else counts as its text.</summary>
    private static IEnumerable<string> Messages(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => array.Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : m?.ToJsonString() ?? "null"),
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? ["denied"] : [],
        _ => [node.ToJsonString()],
    };
}
