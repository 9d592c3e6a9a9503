using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Crane.Rego;

/// <summary>Variable bindings as a persistent list: bodies bind few variables, and backtracking is free.</summary>
internal sealed class Bindings
{
    public static readonly Bindings Empty = new(null, null, null);

    private readonly string? _name;
    private readonly Value? _value;
    private readonly Bindings? _next;

    private Bindings(string? name, Value? value, Bindings? next)
    {
        _name = name;
        _value = value;
        _next = next;
    }

    public Value? Get(string name)
    {
        for (var b = this; b._name is not null; b = b._next!)
            if (ReferenceEquals(b._name, name) || b._name == name) return b._value;
        return null;
    }

    public Bindings Bind(string name, Value value) => new(name, value, this);
}

internal sealed record Mock(Value? Value, CallTarget? Function);

/// <summary>What <c>with</c> can change: input, base data, function mocks; each context has its own cache.</summary>
internal sealed class EvalContext
{
    public EvalContext(Value? input, Value data, IReadOnlyList<string[]> overridden, IReadOnlyDictionary<string, Mock> mocks)
    {
        Input = input;
        Data = data;
        Overridden = overridden;
        Mocks = mocks;
    }

    public Value? Input { get; }
    public Value Data { get; }
    public IReadOnlyList<string[]> Overridden { get; }
    public IReadOnlyDictionary<string, Mock> Mocks { get; }
    public Dictionary<string, Value?> Cache { get; } = new(StringComparer.Ordinal);
}

/// <summary>Top-down evaluation with backtracking; one instance per query, not shared between threads.</summary>
internal sealed class Evaluator
{
    private readonly RuleNode _root;
    private readonly EvalOptions _options;
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly EvaluationBudget _budget;
    private readonly TimeProvider _time;
    private int _depth;

    public Evaluator(RuleNode root, EvalOptions options)
    {
        _root = root;
        _options = options;
        _time = options.TimeProvider ?? TimeProvider.System;
        _budget = options.Budget ?? EvaluationBudget.For(options);
        Caps = new SizeCaps(_budget, options.MaxCollectionSize, options.MaxStringLength);
        // A decision past its deadline stops at its next evaluation, however few steps that one takes.
        _budget.CheckDeadline();
    }

    /// <summary>What built-ins and comprehensions may build, charged to this evaluation's budget.</summary>
    internal SizeCaps Caps { get; }

    internal EvaluationBudget Budget => _budget;

    private void Tick()
    {
        _budget.Step();
        EnsureStack();
    }

    // Long flat lists (array items, with modifiers, function arguments) recurse one level per element.
    private static void EnsureStack()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new RegoException(RegoErrorCodes.EvalBudget, "evaluation exceeded the maximum nesting depth");
    }

    private void Enter(string name, Location? loc)
    {
        if (!_inProgress.Add(name))
            throw new RegoException(RegoErrorCodes.Recursion, $"rego_recursion_error: rule {name} is recursive", loc);
        if (++_depth > _options.MaxDepth)
            throw new RegoException(RegoErrorCodes.EvalBudget, "evaluation exceeded the maximum nesting depth", loc);
    }

    private void Leave(string name)
    {
        _inProgress.Remove(name);
        _depth--;
    }

    // ---- bodies and expressions ----

    public IEnumerable<Bindings> EvalBody(EvalContext ctx, Body body, Bindings b)
    {
        if (body.Exprs.Count == 0) return [b];
        var remaining = new int[body.Exprs.Count];
        for (int i = 0; i < remaining.Length; i++) remaining[i] = i;
        return EvalSeq(ctx, body.Exprs, remaining, b);
    }

    private IEnumerable<Bindings> EvalSeq(EvalContext ctx, IReadOnlyList<Expr> exprs, int[] remaining, Bindings b)
    {
        if (remaining.Length == 0)
        {
            yield return b;
            yield break;
        }
        int pick = -1;
        for (int i = 0; i < remaining.Length; i++)
        {
            if (IsReady(exprs[remaining[i]], b)) { pick = i; break; }
        }
        if (pick < 0) throw UnsafeError(exprs[remaining[0]], b);
        var expr = exprs[remaining[pick]];
        var rest = new int[remaining.Length - 1];
        for (int i = 0, j = 0; i < remaining.Length; i++)
            if (i != pick) rest[j++] = remaining[i];
        foreach (var b2 in EvalExpr(ctx, expr, b))
        {
            Tick();
            if (rest.Length == 0) yield return b2;
            else
                foreach (var b3 in EvalSeq(ctx, exprs, rest, b2)) yield return b3;
        }
    }

    private static RegoException UnsafeError(Expr e, Bindings b)
    {
        var unbound = Resolver.LocalVarsOfExpr(e).Where(v => b.Get(v) is null).Select(v => v[..v.IndexOf('$')]).Distinct();
        return new RegoException(RegoErrorCodes.UnsafeVar, $"var {string.Join(", ", unbound)} is unsafe", e.Loc);
    }

    private bool IsReady(Expr e, Bindings b)
    {
        foreach (var w in e.Withs)
            if (!Evaluable(w.Value, b)) return false;
        return e switch
        {
            TermExpr { Term: CallTerm { HasOutputArg: true } c } => c.Args.Take(c.Args.Count - 1).All(a => Evaluable(a, b)),
            TermExpr t => Evaluable(t.Term, b),
            UnifyExpr u => UnifyReady(u.Left, u.Right, b),
            NotExpr n => n.RequiredVars.All(v => b.Get(v) is not null),
            SomeDeclExpr => true,
            SomeInExpr s => Evaluable(s.Collection, b),
            EveryExpr ev => Evaluable(ev.Domain, b) && ev.ClosureVars.All(v => b.Get(v) is not null),
            _ => true,
        };
    }

    private bool UnifyReady(Term l, Term r, Bindings b)
    {
        if (Evaluable(l, b) || Evaluable(r, b)) return true;
        if (l is ArrayTerm la && r is ArrayTerm ra && la.Items.Count == ra.Items.Count)
        {
            for (int i = 0; i < la.Items.Count; i++)
                if (!UnifyReady(la.Items[i], ra.Items[i], b)) return false;
            return true;
        }
        if (l is ObjectTerm lo && r is ObjectTerm ro && lo.Items.Count == ro.Items.Count)
            return lo.Items.All(kv => Evaluable(kv.Key, b)) && ro.Items.All(kv => Evaluable(kv.Key, b));
        return false;
    }

    /// <summary>True when evaluating the term cannot meet an unbound variable outside a reference key.</summary>
    internal static bool Evaluable(Term t, Bindings b)
    {
        switch (t)
        {
            case ScalarTerm: return true;
            case VarTerm v: return v.IsRoot || b.Get(v.Name) is not null;
            case RefTerm r:
                if (r.Head is VarTerm hv ? !(hv.IsRoot || b.Get(hv.Name) is not null) : !Evaluable(r.Head, b)) return false;
                foreach (var p in r.Path)
                    if (!KeyEvaluable(p, b)) return false;
                return true;
            case ArrayTerm a: return a.Items.All(i => Evaluable(i, b));
            case SetTerm s: return s.Items.All(i => Evaluable(i, b));
            case ObjectTerm o: return o.Items.All(kv => Evaluable(kv.Key, b) && Evaluable(kv.Value, b));
            case CallTerm c: return c.Args.All(a => Evaluable(a, b));
            case ComprehensionTerm c: return c.ClosureVars.All(v => b.Get(v) is not null);
            case TemplateTerm tt:
                foreach (var p in tt.Parts)
                {
                    if (p is not Expr e) continue;
                    if (Resolver.LocalVarsOfExpr(e).Any(v => b.Get(v) is null)) return false;
                }
                return true;
        }
        return false;
    }

    private static bool KeyEvaluable(Term key, Bindings b) => key switch
    {
        VarTerm => true,
        ScalarTerm => true,
        ArrayTerm a => a.Items.All(i => KeyEvaluable(i, b)),
        ObjectTerm o => o.Items.All(kv => Evaluable(kv.Key, b) && KeyEvaluable(kv.Value, b)),
        _ => Evaluable(key, b),
    };

    // A key term that must be matched against the collection's keys rather than evaluated.
    private static bool IsPattern(Term key, Bindings b) => key switch
    {
        VarTerm v => !v.IsRoot && b.Get(v.Name) is null,
        ArrayTerm a => a.Items.Any(i => IsPattern(i, b)),
        ObjectTerm o => o.Items.Any(kv => IsPattern(kv.Value, b)),
        _ => false,
    };

    public IEnumerable<Bindings> EvalExpr(EvalContext ctx, Expr e, Bindings b)
    {
        Tick();
        if (e.Withs.Count == 0) return EvalExprCore(ctx, e, b);
        return EvalWith(ctx, e, b);
    }

    private IEnumerable<Bindings> EvalWith(EvalContext ctx, Expr e, Bindings b)
    {
        foreach (var (ctx2, b2) in ApplyWiths(ctx, e.Withs, 0, b))
            foreach (var b3 in EvalExprCore(ctx2, e, b2)) yield return b3;
    }

    private IEnumerable<(EvalContext, Bindings)> ApplyWiths(EvalContext ctx, IReadOnlyList<WithModifier> withs, int i, Bindings b)
    {
        if (i == withs.Count)
        {
            yield return (ctx, b);
            yield break;
        }
        EnsureStack();
        var w = withs[i];
        if (w.Kind == WithKind.Function && w.FunctionValue is not null)
        {
            var mocks = new Dictionary<string, Mock>(ctx.Mocks, StringComparer.Ordinal) { [w.MockKey] = new Mock(null, w.FunctionValue) };
            var next = new EvalContext(ctx.Input, ctx.Data, ctx.Overridden, mocks);
            foreach (var r in ApplyWiths(next, withs, i + 1, b)) yield return r;
            yield break;
        }
        foreach (var (v, b2) in EvalTerm(ctx, w.Value, b))
        {
            EvalContext next;
            switch (w.Kind)
            {
                case WithKind.Input:
                    next = new EvalContext(Patch(ctx.Input, w.Path, 0, v), ctx.Data, ctx.Overridden, ctx.Mocks);
                    break;
                case WithKind.Data:
                    next = new EvalContext(ctx.Input, Patch(ctx.Data, w.Path, 0, v), [.. ctx.Overridden, w.Path.ToArray()], ctx.Mocks);
                    break;
                default:
                    var mocks = new Dictionary<string, Mock>(ctx.Mocks, StringComparer.Ordinal) { [w.MockKey] = new Mock(v, null) };
                    next = new EvalContext(ctx.Input, ctx.Data, ctx.Overridden, mocks);
                    break;
            }
            foreach (var r in ApplyWiths(next, withs, i + 1, b2)) yield return r;
        }
    }

    private static Value Patch(Value? target, IReadOnlyList<string> path, int i, Value v)
    {
        if (i == path.Count) return v;
        var obj = target as ObjectValue ?? ObjectValue.Empty;
        var key = Value.String(path[i]);
        var child = Patch(obj.Get(key), path, i + 1, v);
        var pairs = obj.Pairs.Where(p => !p.Key.Equals(key)).Append(new KeyValuePair<Value, Value>(key, child));
        return ObjectValue.From(pairs);
    }

    private IEnumerable<Bindings> EvalExprCore(EvalContext ctx, Expr e, Bindings b)
    {
        switch (e)
        {
            case TermExpr { Term: CallTerm { HasOutputArg: true } c }:
                return EvalCallWithOutput(ctx, c, b);
            case TermExpr t:
                return EvalTruthy(ctx, t.Term, b);
            case UnifyExpr u:
                return Unify(ctx, u.Left, u.Right, b);
            case NotExpr n:
                return EvalNot(ctx, n, b);
            case SomeDeclExpr:
                return [b];
            case SomeInExpr s:
                return EvalSomeIn(ctx, s, b);
            case EveryExpr ev:
                return EvalEvery(ctx, ev, b);
        }
        throw new RegoException(RegoErrorCodes.CompileError, "unknown expression", e.Loc);
    }

    private IEnumerable<Bindings> EvalCallWithOutput(EvalContext ctx, CallTerm c, Bindings b)
    {
        foreach (var (v, b2) in EvalCall(ctx, c, c.Args.Count - 1, b))
            foreach (var b3 in Match(ctx, c.Args[^1], v, b2)) yield return b3;
    }

    private IEnumerable<Bindings> EvalTruthy(EvalContext ctx, Term t, Bindings b)
    {
        foreach (var (v, b2) in EvalTerm(ctx, t, b))
            if (v is not BooleanValue { Value: false }) yield return b2;
    }

    private IEnumerable<Bindings> EvalNot(EvalContext ctx, NotExpr n, Bindings b)
    {
        using (var it = EvalExpr(ctx, n.Inner, b).GetEnumerator())
        {
            if (it.MoveNext()) yield break;
        }
        yield return b;
    }

    private IEnumerable<Bindings> EvalSomeIn(EvalContext ctx, SomeInExpr s, Bindings b)
    {
        foreach (var (coll, b2) in EvalTerm(ctx, s.Collection, b))
        {
            foreach (var (k, v) in Entries(coll))
            {
                Tick();
                if (s.Key is null)
                {
                    foreach (var b3 in Match(ctx, s.Value, v, b2)) yield return b3;
                }
                else
                {
                    foreach (var b3 in Match(ctx, s.Key, k, b2))
                        foreach (var b4 in Match(ctx, s.Value, v, b3)) yield return b4;
                }
            }
        }
    }

    private IEnumerable<Bindings> EvalEvery(EvalContext ctx, EveryExpr ev, Bindings b)
    {
        foreach (var (dom, b2) in EvalTerm(ctx, ev.Domain, b))
        {
            bool all = true;
            foreach (var (k, v) in Entries(dom))
            {
                bool ok = false;
                var starts = ev.Key is null
                    ? Match(ctx, ev.Value, v, b2)
                    : Match(ctx, ev.Key, k, b2).SelectMany(x => Match(ctx, ev.Value, v, x));
                foreach (var b3 in starts)
                {
                    if (EvalBody(ctx, ev.Body, b3).Any()) { ok = true; break; }
                }
                if (!ok) { all = false; break; }
            }
            if (all) yield return b2;
        }
    }

    internal static IEnumerable<(Value Key, Value Value)> Entries(Value coll)
    {
        switch (coll)
        {
            case ArrayValue a:
                for (int i = 0; i < a.Count; i++) yield return (Value.Number(i), a.Items[i]);
                break;
            case ObjectValue o:
                foreach (var p in o.Pairs) yield return (p.Key, p.Value);
                break;
            case SetValue s:
                foreach (var x in s.Items) yield return (x, x);
                break;
        }
    }

    // ---- unification ----

    private IEnumerable<Bindings> Unify(EvalContext ctx, Term l, Term r, Bindings b)
    {
        bool le = Evaluable(l, b), re = Evaluable(r, b);
        if (re && !le) return UnifyFrom(ctx, r, l, b);
        if (le) return UnifyFrom(ctx, l, r, b);
        if (l is ArrayTerm la && r is ArrayTerm ra && la.Items.Count == ra.Items.Count)
            return UnifyPairs(ctx, la.Items.Zip(ra.Items).ToList(), b);
        if (l is ObjectTerm lo && r is ObjectTerm ro && lo.Items.Count == ro.Items.Count)
            return UnifyObjects(ctx, lo, ro, b);
        throw new RegoException(RegoErrorCodes.UnsafeVar, "unification of two unbound terms is unsafe", l.Loc);
    }

    private IEnumerable<Bindings> UnifyFrom(EvalContext ctx, Term source, Term pattern, Bindings b)
    {
        foreach (var (v, b2) in EvalTerm(ctx, source, b))
            foreach (var b3 in Match(ctx, pattern, v, b2)) yield return b3;
    }

    private IEnumerable<Bindings> UnifyPairs(EvalContext ctx, List<(Term First, Term Second)> pairs, Bindings b)
    {
        if (pairs.Count == 0)
        {
            yield return b;
            yield break;
        }
        EnsureStack();
        int pick = pairs.FindIndex(p => UnifyReady(p.First, p.Second, b));
        if (pick < 0) throw new RegoException(RegoErrorCodes.UnsafeVar, "unification of two unbound terms is unsafe", pairs[0].First.Loc);
        var rest = pairs.Where((_, i) => i != pick).ToList();
        foreach (var b2 in Unify(ctx, pairs[pick].First, pairs[pick].Second, b))
            foreach (var b3 in UnifyPairs(ctx, rest, b2)) yield return b3;
    }

    private IEnumerable<Bindings> UnifyObjects(EvalContext ctx, ObjectTerm l, ObjectTerm r, Bindings b)
    {
        var lk = new List<(Value, Term)>();
        foreach (var kv in l.Items)
        {
            var k = EvalTerm(ctx, kv.Key, b).Select(x => x.Item1).FirstOrDefault();
            if (k is null) yield break;
            lk.Add((k, kv.Value));
        }
        var pairs = new List<(Term, Term)>();
        foreach (var kv in r.Items)
        {
            var k = EvalTerm(ctx, kv.Key, b).Select(x => x.Item1).FirstOrDefault();
            if (k is null) yield break;
            var match = lk.FindIndex(x => x.Item1.Equals(k));
            if (match < 0) yield break;
            pairs.Add((lk[match].Item2, kv.Value));
        }
        foreach (var b2 in UnifyPairs(ctx, pairs, b)) yield return b2;
    }

    /// <summary>Matches a term (possibly with unbound variables) against a value.</summary>
    private IEnumerable<Bindings> Match(EvalContext ctx, Term t, Value v, Bindings b)
    {
        switch (t)
        {
            case VarTerm var when !var.IsRoot:
            {
                var bound = b.Get(var.Name);
                if (bound is null) return [b.Bind(var.Name, v)];
                return bound.Equals(v) ? [b] : [];
            }
            case ScalarTerm s:
                return s.Value.Equals(v) ? [b] : [];
            case ArrayTerm a:
                if (v is not ArrayValue av || av.Count != a.Items.Count) return [];
                return MatchItems(ctx, a.Items, av.Items, 0, b);
            case ObjectTerm o when !Evaluable(o, b):
                if (v is not ObjectValue ov || ov.Count != o.Items.Count) return [];
                return MatchObject(ctx, o, ov, 0, b);
        }
        return MatchByValue(ctx, t, v, b);
    }

    private IEnumerable<Bindings> MatchByValue(EvalContext ctx, Term t, Value v, Bindings b)
    {
        foreach (var (x, b2) in EvalTerm(ctx, t, b))
            if (x.Equals(v)) yield return b2;
    }

    private IEnumerable<Bindings> MatchItems(EvalContext ctx, IReadOnlyList<Term> terms, IReadOnlyList<Value> values, int i, Bindings b)
    {
        if (i == terms.Count)
        {
            yield return b;
            yield break;
        }
        EnsureStack();
        foreach (var b2 in Match(ctx, terms[i], values[i], b))
            foreach (var b3 in MatchItems(ctx, terms, values, i + 1, b2)) yield return b3;
    }

    private IEnumerable<Bindings> MatchObject(EvalContext ctx, ObjectTerm o, ObjectValue v, int i, Bindings b)
    {
        if (i == o.Items.Count)
        {
            yield return b;
            yield break;
        }
        EnsureStack();
        foreach (var (k, b2) in EvalTerm(ctx, o.Items[i].Key, b))
        {
            var child = v.Get(k);
            if (child is null) continue;
            foreach (var b3 in Match(ctx, o.Items[i].Value, child, b2))
                foreach (var b4 in MatchObject(ctx, o, v, i + 1, b3)) yield return b4;
        }
    }

    // ---- terms ----

    public IEnumerable<(Value, Bindings)> EvalTerm(EvalContext ctx, Term t, Bindings b)
    {
        switch (t)
        {
            case ScalarTerm s:
                return [(s.Value, b)];
            case VarTerm v:
            {
                var val = b.Get(v.Name);
                if (val is null) throw new RegoException(RegoErrorCodes.UnsafeVar, $"var {v.Name[..Math.Max(0, v.Name.IndexOf('$'))]} is unsafe", v.Loc);
                return [(val, b)];
            }
            case RefTerm r:
                return EvalRef(ctx, r, b);
            case ArrayTerm a:
                return EvalTerms(ctx, a.Items, b).Select(x => ((Value)new ArrayValue(x.Item1), x.Item2));
            case SetTerm s:
                return EvalTerms(ctx, s.Items, b).Select(x => ((Value)SetValue.From(x.Item1), x.Item2));
            case ObjectTerm o:
                return EvalObject(ctx, o, b);
            case ComprehensionTerm c:
                return [(EvalComprehension(ctx, c, b), b)];
            case CallTerm c:
                return EvalCall(ctx, c, c.Args.Count, b);
            case TemplateTerm tt:
                return [(EvalTemplate(ctx, tt, b), b)];
        }
        throw new RegoException(RegoErrorCodes.CompileError, "unknown term", t.Loc);
    }

    private IEnumerable<(Value[], Bindings)> EvalTerms(EvalContext ctx, IReadOnlyList<Term> terms, Bindings b)
    {
        if (terms.Count == 0) return [([], b)];
        // Literal lists (allowed registries, zones) need no backtracking over their items.
        if (terms.All(t => t is ScalarTerm)) return [(terms.Select(t => ((ScalarTerm)t).Value).ToArray(), b)];
        return EvalTermsFrom(ctx, terms, 0, new Value[terms.Count], b);
    }

    private IEnumerable<(Value[], Bindings)> EvalTermsFrom(EvalContext ctx, IReadOnlyList<Term> terms, int i, Value[] acc, Bindings b)
    {
        EnsureStack();
        foreach (var (v, b2) in EvalTerm(ctx, terms[i], b))
        {
            acc[i] = v;
            if (i == terms.Count - 1) yield return ((Value[])acc.Clone(), b2);
            else
                foreach (var r in EvalTermsFrom(ctx, terms, i + 1, acc, b2)) yield return r;
        }
    }

    private IEnumerable<(Value, Bindings)> EvalObject(EvalContext ctx, ObjectTerm o, Bindings b)
    {
        var flat = new List<Term>();
        foreach (var kv in o.Items) { flat.Add(kv.Key); flat.Add(kv.Value); }
        foreach (var (vals, b2) in EvalTerms(ctx, flat, b))
        {
            var d = new Dictionary<Value, Value>();
            bool conflict = false;
            for (int i = 0; i < vals.Length; i += 2)
            {
                if (d.TryGetValue(vals[i], out var existing) && !existing.Equals(vals[i + 1])) conflict = true;
                d[vals[i]] = vals[i + 1];
            }
            if (conflict) throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique", o.Loc);
            yield return (ObjectValue.FromDictionary(d), b2);
        }
    }

    private Value EvalComprehension(EvalContext ctx, ComprehensionTerm c, Bindings b)
    {
        switch (c.Kind)
        {
            case ComprehensionKind.Array:
            {
                var items = new List<Value>();
                foreach (var b2 in EvalBody(ctx, c.Body, b))
                    foreach (var (v, _) in EvalTerm(ctx, c.Value, b2))
                    {
                        items.Add(v);
                        Caps.Within("array comprehension", items.Count, c.Loc);
                    }
                return new ArrayValue(items);
            }
            case ComprehensionKind.Set:
            {
                var items = new HashSet<Value>();
                foreach (var b2 in EvalBody(ctx, c.Body, b))
                    foreach (var (v, _) in EvalTerm(ctx, c.Value, b2))
                    {
                        items.Add(v);
                        Caps.Within("set comprehension", items.Count, c.Loc);
                    }
                return SetValue.From(items);
            }
            default:
            {
                var d = new Dictionary<Value, Value>();
                foreach (var b2 in EvalBody(ctx, c.Body, b))
                {
                    foreach (var (k, b3) in EvalTerm(ctx, c.Key!, b2))
                    {
                        foreach (var (v, _) in EvalTerm(ctx, c.Value, b3))
                        {
                            if (d.TryGetValue(k, out var existing) && !existing.Equals(v))
                                throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique", c.Loc);
                            d[k] = v;
                            Caps.Within("object comprehension", d.Count, c.Loc);
                        }
                    }
                }
                return ObjectValue.FromDictionary(d);
            }
        }
    }

    private Value EvalTemplate(EvalContext ctx, TemplateTerm t, Bindings b)
    {
        var sb = new StringBuilder();
        foreach (var p in t.Parts)
        {
            if (p is string s) { sb.Append(s); continue; }
            var e = (Expr)p;
            Value? v = null;
            foreach (var (c2, b2) in e.Withs.Count > 0 ? ApplyWiths(ctx, e.Withs, 0, b) : [(ctx, b)])
            {
                v = e switch
                {
                    TermExpr te => EvalTerm(c2, te.Term, b2).Select(x => x.Item1).FirstOrDefault(),
                    _ => EvalExprCore(c2, e, b2).Any() ? Value.True : null,
                };
                break;
            }
            if (v is null) sb.Append("<undefined>");
            else if (v is StringValue sv)
            {
                Caps.CharsWithin("template string", (long)sb.Length + sv.Value.Length, t.Loc);
                sb.Append(sv.Value);
            }
            else
            {
                Caps.Text("template string", v, t.Loc);
                sb.Append(v.ToString());
                Caps.CharsWithin("template string", sb.Length, t.Loc);
            }
        }
        Caps.Chars("template string", sb.Length, t.Loc);
        return Value.String(sb.ToString());
    }

    // ---- references ----

    private IEnumerable<(Value, Bindings)> EvalRef(EvalContext ctx, RefTerm r, Bindings b)
    {
        if (r.Head is VarTerm { Name: "data" })
            return WalkData(ctx, _root, r.Path, 0, b);
        if (r.Head is VarTerm { Name: "input" })
            return ctx.Input is null ? [] : WalkValue(ctx, ctx.Input, r.Path, 0, b);
        return EvalTerm(ctx, r.Head, b).SelectMany(x => WalkValue(ctx, x.Item1, r.Path, 0, x.Item2));
    }

    private IEnumerable<(Value, Bindings)> WalkValue(EvalContext ctx, Value value, IReadOnlyList<Term> path, int i, Bindings b)
    {
        if (i == path.Count)
        {
            yield return (value, b);
            yield break;
        }
        Tick();
        var key = path[i];
        if (IsPattern(key, b))
        {
            foreach (var (k, child) in Entries(value))
                foreach (var b2 in Match(ctx, key, k, b))
                    foreach (var r in WalkValue(ctx, child, path, i + 1, b2)) yield return r;
            yield break;
        }
        foreach (var (kv, b2) in EvalTerm(ctx, key, b))
        {
            var child = Lookup(value, kv);
            if (child is null) continue;
            foreach (var r in WalkValue(ctx, child, path, i + 1, b2)) yield return r;
        }
    }

    internal static Value? Lookup(Value coll, Value key)
    {
        switch (coll)
        {
            case ObjectValue o: return o.Get(key);
            case ArrayValue a:
                if (key is NumberValue n && n.Value.TryToInt(out var idx) && idx >= 0 && idx < a.Count) return a.Items[idx];
                return null;
            case SetValue s: return s.Contains(key) ? key : null;
            default: return null;
        }
    }

    private bool IsOverridden(EvalContext ctx, string[] nodePath)
    {
        foreach (var o in ctx.Overridden)
        {
            if (o.Length > nodePath.Length) continue;
            bool prefix = true;
            for (int i = 0; i < o.Length; i++)
                if (o[i] != nodePath[i]) { prefix = false; break; }
            if (prefix) return true;
        }
        return false;
    }

    private static Value? BaseAt(EvalContext ctx, string[] path)
    {
        Value? v = ctx.Data;
        foreach (var seg in path)
        {
            if (v is not ObjectValue o) return null;
            v = o.Get(seg);
            if (v is null) return null;
        }
        return v;
    }

    private IEnumerable<(Value, Bindings)> WalkData(EvalContext ctx, RuleNode node, IReadOnlyList<Term> path, int i, Bindings b)
    {
        if (ctx.Overridden.Count > 0 && IsOverridden(ctx, node.Path))
        {
            var v = BaseAt(ctx, node.Path);
            return v is null ? [] : WalkValue(ctx, v, path, i, b);
        }
        if (i < path.Count && node.Rules.Count == 0 && node.Default is null && !node.IsFunction && !IsPattern(path[i], b))
            return WalkDataChild(ctx, node, path, i, b);
        var value = Materialize(ctx, node);
        return value is null ? [] : WalkValue(ctx, value, path, i, b);
    }

    private IEnumerable<(Value, Bindings)> WalkDataChild(EvalContext ctx, RuleNode node, IReadOnlyList<Term> path, int i, Bindings b)
    {
        foreach (var (kv, b2) in EvalTerm(ctx, path[i], b))
        {
            if (kv is StringValue s && node.Children.TryGetValue(s.Value, out var child))
            {
                foreach (var r in WalkData(ctx, child, path, i + 1, b2)) yield return r;
                continue;
            }
            var baseValue = BaseAt(ctx, node.Path);
            if (baseValue is null) continue;
            var c = Lookup(baseValue, kv);
            if (c is null) continue;
            foreach (var r in WalkValue(ctx, c, path, i + 1, b2)) yield return r;
        }
    }

    /// <summary>The full value of a data node: base data merged with every rule at or below it.</summary>
    private Value? Materialize(EvalContext ctx, RuleNode node)
    {
        if (node.IsFunction) return null;
        if (ctx.Overridden.Count > 0 && IsOverridden(ctx, node.Path)) return BaseAt(ctx, node.Path);
        var key = node.Name;
        if (ctx.Cache.TryGetValue(key, out var cached)) return cached;
        Enter(key, node.Rules.FirstOrDefault()?.Rule.Loc);
        Value? result;
        try
        {
            result = MaterializeCore(ctx, node);
        }
        finally
        {
            Leave(key);
        }
        ctx.Cache[key] = result;
        return result;
    }

    private Value? MaterializeCore(EvalContext ctx, RuleNode node)
    {
        var complete = node.Rules.Where(r => r.Suffix.Count == 0 && r.Rule.Kind == RuleKind.Complete).ToList();
        if (complete.Count > 0 || (node.Default is not null && node.Default.Suffix.Count == 0))
        {
            Value? found = null;
            foreach (var entry in complete)
            {
                foreach (var v in EvalRuleValues(ctx, entry.Rule, Bindings.Empty))
                {
                    if (found is null) found = v;
                    else if (!found.Equals(v))
                        throw new RegoException(RegoErrorCodes.EvalConflict,
                            $"rule {node.Name} produced conflicting values (complete rules must not produce multiple outputs)", entry.Rule.Loc);
                }
            }
            if (found is null && node.Default is not null)
                found = EvalTerm(ctx, node.Default.Rule.Value, Bindings.Empty).Select(x => x.Item1).FirstOrDefault();
            return found;
        }
        var builder = new DocBuilder();
        var baseValue = BaseAt(ctx, node.Path);
        if (baseValue is not null && baseValue is not ObjectValue && node.Rules.Count == 0 && node.Children.Count == 0) return baseValue;
        if (node.Rules.Any(r => r.Rule.Kind == RuleKind.PartialSet && r.Suffix.Count == 0)) builder.MakeSet();
        foreach (var (name, child) in node.Children)
        {
            if (child.IsFunction) continue;
            var v = Materialize(ctx, child);
            if (v is not null) builder.Insert([Value.String(name)], 0, v, child.Name);
        }
        foreach (var entry in node.Rules)
        {
            var rule = entry.Rule;
            if (rule.Kind == RuleKind.PartialSet)
            {
                foreach (var b in EvalRuleBodies(ctx, rule, Bindings.Empty))
                    foreach (var (keys, b2) in EvalTerms(ctx, entry.Suffix, b.Item2))
                        foreach (var (elem, _) in EvalTerm(ctx, b.Item1.Key!, b2))
                            builder.InsertSetElement(keys, 0, elem);
            }
            else if (entry.Suffix.Count > 0)
            {
                foreach (var b in EvalRuleBodies(ctx, rule, Bindings.Empty))
                    foreach (var (keys, b2) in EvalTerms(ctx, entry.Suffix, b.Item2))
                        foreach (var (v, _) in EvalTerm(ctx, b.Item1.Value, b2))
                            builder.Insert(keys, 0, v, node.Name);
            }
        }
        // Base documents win over rules defined at the same path.
        if (baseValue is not null) builder.MergeValue(baseValue, overwrite: true);
        return builder.Build();
    }

    /// <summary>Bindings of the first branch of an else chain that succeeds, with that branch.</summary>
    private IEnumerable<(Rule, Bindings)> EvalRuleBodies(EvalContext ctx, Rule rule, Bindings start)
    {
        for (var branch = rule; branch is not null; branch = branch.Else)
        {
            bool any = false;
            foreach (var b in EvalBody(ctx, branch.Body, start))
            {
                any = true;
                yield return (branch, b);
            }
            if (any) yield break;
        }
    }

    private IEnumerable<Value> EvalRuleValues(EvalContext ctx, Rule rule, Bindings start)
    {
        for (var branch = rule; branch is not null; branch = branch.Else)
        {
            bool any = false;
            foreach (var b in EvalBody(ctx, branch.Body, start))
            {
                foreach (var (v, _) in EvalTerm(ctx, branch.Value, b))
                {
                    any = true;
                    yield return v;
                }
            }
            if (any) yield break;
        }
    }

    // ---- calls ----

    private IEnumerable<(Value, Bindings)> EvalCall(EvalContext ctx, CallTerm c, int argCount, Bindings b)
    {
        var argTerms = argCount == c.Args.Count ? c.Args : c.Args.Take(argCount).ToList();
        foreach (var (args, b2) in EvalTerms(ctx, argTerms, b))
        {
            if (c.Target!.Builtin == "walk" && !ctx.Mocks.ContainsKey("walk"))
            {
                foreach (var w in Builtins.Walk(args[0])) yield return (w, b2);
                continue;
            }
            var result = Invoke(ctx, c.Target!, args, c.Loc, allowMock: true);
            if (result is not null) yield return (result, b2);
        }
    }

    internal Value? Invoke(EvalContext ctx, CallTarget target, Value[] args, Location loc, bool allowMock)
    {
        Tick();
        if (allowMock && ctx.Mocks.Count > 0)
        {
            var key = target.Builtin ?? target.Name;
            if (ctx.Mocks.TryGetValue(key, out var mock))
            {
                if (mock.Value is not null) return mock.Value;
                // A replacement function runs without the mocks, so it can call the original.
                var plain = new EvalContext(ctx.Input, ctx.Data, ctx.Overridden, new Dictionary<string, Mock>());
                return Invoke(plain, mock.Function!, args, loc, allowMock: false);
            }
        }
        if (target.Builtin is not null)
        {
            var def = Builtins.All[target.Builtin];
            try
            {
                var result = def.Func(new BuiltinCall(this, ctx, _time, loc), args);
                // One call can take long (big numbers, regular expressions): the deadline is checked after each.
                _budget.CheckDeadline();
                return result;
            }
            catch (BuiltinException e)
            {
                if (_options.StrictBuiltinErrors)
                    throw new RegoException(e.Code, $"{e.Message}", loc);
                return null;
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException e)
            {
                throw new RegoException(RegoErrorCodes.EvalBudget, $"{target.Builtin}: regular expression {Builtins.Quote(e.Pattern)} ran past its time limit of {e.MatchTimeout}", loc);
            }
        }
        var node = _root.Find(target.FunctionPath!);
        if (node is null) return null;
        if (!node.IsFunction)
        {
            // A zero-argument "call" of a value rule.
            return args.Length == 0 ? Materialize(ctx, node) : null;
        }
        return CallFunction(ctx, node, args, loc);
    }

    private Value? CallFunction(EvalContext ctx, RuleNode node, Value[] args, Location loc)
    {
        Enter(node.Name, loc);
        try
        {
            Value? found = null;
            foreach (var entry in node.Rules)
            {
                var rule = entry.Rule;
                foreach (var start in MatchItemsValues(ctx, rule.Args!, args, 0, Bindings.Empty))
                {
                    foreach (var v in EvalRuleValues(ctx, rule, start))
                    {
                        if (found is null) found = v;
                        else if (!found.Equals(v))
                            throw new RegoException(RegoErrorCodes.EvalConflict,
                                $"function {node.Name} produced conflicting values for the same inputs (functions must not produce multiple outputs for same inputs)", rule.Loc);
                    }
                }
            }
            if (found is null && node.Default is not null)
                found = EvalTerm(ctx, node.Default.Rule.Value, Bindings.Empty).Select(x => x.Item1).FirstOrDefault();
            return found;
        }
        finally
        {
            Leave(node.Name);
        }
    }

    private IEnumerable<Bindings> MatchItemsValues(EvalContext ctx, IReadOnlyList<Term> terms, Value[] values, int i, Bindings b)
    {
        if (i == terms.Count)
        {
            yield return b;
            yield break;
        }
        EnsureStack();
        foreach (var b2 in Match(ctx, terms[i], values[i], b))
            foreach (var b3 in MatchItemsValues(ctx, terms, values, i + 1, b2)) yield return b3;
    }

    // ---- queries ----

    public IEnumerable<Bindings> EvalQuery(EvalContext ctx, Body body) => EvalBody(ctx, body, Bindings.Empty);
}

/// <summary>Assembles a virtual document from rule outputs, detecting conflicting values.</summary>
internal sealed class DocBuilder
{
    private Dictionary<Value, object>? _entries;
    private HashSet<Value>? _set;

    public void MakeSet() => _set ??= [];

    public void MergeValue(Value v, bool overwrite = false)
    {
        if (v is ObjectValue o)
        {
            foreach (var p in o.Pairs)
            {
                if (overwrite && _entries is not null && _entries.TryGetValue(p.Key, out var existing))
                {
                    if (existing is DocBuilder db && p.Value is ObjectValue) db.MergeValue(p.Value, overwrite: true);
                    else if (existing is ObjectValue eo && p.Value is ObjectValue)
                    {
                        var nb = new DocBuilder();
                        nb.MergeValue(eo);
                        nb.MergeValue(p.Value, overwrite: true);
                        _entries[p.Key] = nb;
                    }
                    else _entries[p.Key] = p.Value;
                    continue;
                }
                Insert([p.Key], 0, p.Value, "");
            }
        }
        else if (v is SetValue s)
        {
            MakeSet();
            foreach (var x in s.Items) _set!.Add(x);
        }
    }

    public void Insert(Value[] path, int i, Value v, string ruleName)
    {
        _entries ??= [];
        var key = path[i];
        if (i == path.Length - 1)
        {
            if (!_entries.TryGetValue(key, out var existing))
            {
                _entries[key] = v;
                return;
            }
            if (existing is Value ev)
            {
                if (ev.Equals(v)) return;
                if (ev is ObjectValue && v is ObjectValue)
                {
                    var nb = new DocBuilder();
                    nb.MergeValue(ev);
                    nb.MergeValue(v);
                    _entries[key] = nb;
                    return;
                }
                throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique");
            }
            if (existing is DocBuilder db && v is ObjectValue)
            {
                db.MergeValue(v);
                return;
            }
            throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique");
        }
        if (!_entries.TryGetValue(key, out var e))
        {
            var nb = new DocBuilder();
            _entries[key] = nb;
            nb.Insert(path, i + 1, v, ruleName);
            return;
        }
        if (e is DocBuilder b)
        {
            b.Insert(path, i + 1, v, ruleName);
            return;
        }
        if (e is ObjectValue ov)
        {
            var nb = new DocBuilder();
            nb.MergeValue(ov);
            _entries[key] = nb;
            nb.Insert(path, i + 1, v, ruleName);
            return;
        }
        throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique");
    }

    public void InsertSetElement(Value[] path, int i, Value elem)
    {
        if (i == path.Length)
        {
            MakeSet();
            _set!.Add(elem);
            return;
        }
        _entries ??= [];
        var key = path[i];
        if (!_entries.TryGetValue(key, out var e))
        {
            var nb = new DocBuilder();
            _entries[key] = nb;
            nb.InsertSetElement(path, i + 1, elem);
            return;
        }
        if (e is DocBuilder b)
        {
            b.InsertSetElement(path, i + 1, elem);
            return;
        }
        throw new RegoException(RegoErrorCodes.EvalConflict, "object keys must be unique");
    }

    public Value Build()
    {
        if (_set is not null && (_entries is null || _entries.Count == 0)) return SetValue.From(_set);
        var d = new Dictionary<Value, Value>();
        if (_entries is not null)
            foreach (var (k, e) in _entries)
                d[k] = e is DocBuilder b ? b.Build() : (Value)e;
        return ObjectValue.FromDictionary(d);
    }
}
