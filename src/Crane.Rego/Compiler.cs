namespace Crane.Rego;

/// <summary>A node of the data tree where rules are defined; rules sit at the node of their ground path prefix.</summary>
internal sealed class RuleNode
{
    public RuleNode(string[] path) => Path = path;

    public string[] Path { get; }
    public Dictionary<string, RuleNode> Children { get; } = new(StringComparer.Ordinal);
    public List<RuleEntry> Rules { get; } = [];
    public RuleEntry? Default { get; set; }
    public bool IsFunction { get; set; }
    public int Arity { get; set; } = -1;
    public string Name => "data." + string.Join(".", Path);

    public RuleNode? Find(IReadOnlyList<string> path, int from = 0)
    {
        var n = this;
        for (int i = from; i < path.Count; i++)
            if (!n.Children.TryGetValue(path[i], out n)) return null;
        return n;
    }

    public RuleNode GetOrAdd(IEnumerable<string> path)
    {
        var n = this;
        foreach (var seg in path)
        {
            if (!n.Children.TryGetValue(seg, out var c))
            {
                c = new RuleNode([.. n.Path, seg]);
                n.Children[seg] = c;
            }
            n = c;
        }
        return n;
    }
}

/// <summary>A rule attached to its node; <see cref="Suffix"/> holds the head ref terms after the ground prefix.</summary>
internal sealed record RuleEntry(Rule Rule, IReadOnlyList<Term> Suffix);

/// <summary>Compiles Rego modules into a <see cref="CompiledPolicy"/>.</summary>
public static class RegoCompiler
{
    /// <summary>Parses and resolves the modules; the first error comes back with file, line and column.</summary>
    public static RegoResult<CompiledPolicy> Compile(IEnumerable<(string File, string Source)> modules)
    {
        try
        {
            var parsed = modules.Select(m => new Parser(m.File, m.Source).ParseModule()).ToList();
            var root = new RuleNode([]);
            var packageRules = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var m in parsed)
            {
                var key = string.Join(".", m.Package);
                if (!packageRules.TryGetValue(key, out var names)) packageRules[key] = names = new HashSet<string>(StringComparer.Ordinal);
                root.GetOrAdd(m.Package);
                foreach (var r in m.Rules) names.Add(((VarTerm)r.Ref[0]).Name);
            }
            var pending = new List<(Module Module, Rule Rule, RuleNode Node, int PrefixLength)>();
            foreach (var m in parsed)
            {
                foreach (var r in m.Rules)
                {
                    var prefix = new List<string>(m.Package) { ((VarTerm)r.Ref[0]).Name };
                    int i = 1;
                    for (; i < r.Ref.Count; i++)
                    {
                        if (r.Ref[i] is ScalarTerm { Value: StringValue s }) prefix.Add(s.Value);
                        else break;
                    }
                                var node = root.GetOrAdd(prefix);
                    if (r.Kind == RuleKind.Function)
                    {
                        if (node.Arity >= 0 && node.Arity != r.Args!.Count)
                            throw new RegoException(RegoErrorCodes.TypeError, $"conflicting arities for function {node.Name}", r.Loc);
                        node.IsFunction = true;
                        node.Arity = r.Args!.Count;
                    }
                    pending.Add((m, r, node, i));
                }
            }
            foreach (var (m, r, node, prefixLength) in pending)
            {
                var resolver = new Resolver(root, m.Package, packageRules[string.Join(".", m.Package)], m.Imports);
                var resolved = resolver.ResolveRule(r);
                var entry = new RuleEntry(resolved, resolved.Ref.Skip(prefixLength).ToList());
                if (resolved.IsDefault)
                {
                    if (node.Default is not null)
                        throw new RegoException(RegoErrorCodes.TypeError, $"multiple default rules {node.Name} found", r.Loc);
                    node.Default = entry;
                }
                else node.Rules.Add(entry);
            }
            return RegoResult<CompiledPolicy>.Ok(new CompiledPolicy(root));
        }
        catch (RegoException e)
        {
            return RegoResult<CompiledPolicy>.Fail(e.ToError());
        }
    }

    /// <summary>Compiles one module.</summary>
    public static RegoResult<CompiledPolicy> Compile(string file, string source) => Compile([(file, source)]);

    internal static Body ResolveQuery(RuleNode root, string query, out Dictionary<string, string> queryVars)
    {
        var body = new Parser("query", query).ParseQuery();
        var resolver = new Resolver(root, [], new HashSet<string>(), []);
        var resolved = resolver.ResolveQuery(body, out queryVars);
        return resolved;
    }
}

/// <summary>Renames local variables to unique names per scope and resolves rule, import and function references.</summary>
internal sealed class Resolver
{
    private readonly RuleNode _root;
    private readonly IReadOnlyList<string> _package;
    private readonly HashSet<string> _ruleNames;
    private readonly Dictionary<string, IReadOnlyList<string>> _imports = new(StringComparer.Ordinal);
    private readonly List<string> _declared = [];
    private int _counter;

    public Resolver(RuleNode root, IReadOnlyList<string> package, HashSet<string> ruleNames, IReadOnlyList<Import> imports)
    {
        _root = root;
        _package = package;
        _ruleNames = ruleNames;
        foreach (var i in imports)
        {
            if (i.Path[0] is "data" or "input") _imports[i.Alias] = i.Path;
        }
    }

    private sealed class Scope(Scope? parent)
    {
        public Scope? Parent { get; } = parent;
        public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);

        public string? Lookup(string name)
        {
            for (var s = this; s is not null; s = s.Parent)
                if (s.Names.TryGetValue(name, out var n)) return n;
            return null;
        }
    }

    private string Fresh(string name)
    {
        var n = $"{name}${++_counter}";
        _declared.Add(n);
        return n;
    }

    private bool IsGlobalName(string name) =>
        name is "data" or "input" || _ruleNames.Contains(name) || _imports.ContainsKey(name);

    public Rule ResolveRule(Rule rule) => ResolveRule(rule, null);

    private Rule ResolveRule(Rule rule, Dictionary<string, string>? argNames)
    {
        var scope = new Scope(null);
        IReadOnlyList<Term>? args = null;
        if (rule.Args is not null)
        {
            rule = LiftComputedArgs(rule);
            foreach (var a in rule.Args!)
                foreach (var v in VarsOf(a, includeNested: true))
                    if (v != "_" && scope.Lookup(v) is null)
                        scope.Names[v] = argNames is not null && argNames.TryGetValue(v, out var shared) ? shared : Fresh(v);
            args = rule.Args!.Select(a => ResolveTerm(a, scope)).ToList();
        }
        var paramNames = new Dictionary<string, string>(scope.Names, StringComparer.Ordinal);
        var body = ResolveBody(rule.Body, scope, isRuleBody: true);
        var headRef = new List<Term> { rule.Ref[0] };
        headRef.AddRange(rule.Ref.Skip(1).Select(t => ResolveHeadTerm(t, scope)));
        var key = rule.Key is null ? null : ResolveHeadTerm(rule.Key, scope);
        var value = ResolveHeadTerm(rule.Value, scope);
        var elseRule = rule.Else is null ? null : ResolveRule(rule.Else, paramNames);
        return rule with { Args = args, Body = body, Ref = headRef, Key = key, Value = value, Else = elseRule };
    }

    // Arguments that must be computed (template strings, calls) become variables unified in the body.
    private Rule LiftComputedArgs(Rule rule)
    {
        var args = new List<Term>();
        var extra = new List<Expr>();
        foreach (var a in rule.Args!)
        {
            if (a is TemplateTerm or CallTerm or ComprehensionTerm)
            {
                var v = new VarTerm($"__arg{_counter++}__", a.Loc);
                args.Add(v);
                extra.Add(new UnifyExpr(v, a, false, a.Loc));
            }
            else args.Add(a);
        }
        if (extra.Count == 0) return rule;
        return rule with { Args = args, Body = new Body([.. rule.Body.Exprs, .. extra]) };
    }

    // Head terms see the body's variables; unknown names there refer to rules or are unsafe locals.
    private Term ResolveHeadTerm(Term t, Scope scope)
    {
        foreach (var v in VarsOf(t, includeNested: false))
            if (v != "_" && scope.Lookup(v) is null && !IsGlobalName(v)) scope.Names[v] = Fresh(v);
        return ResolveTerm(t, scope);
    }

    public Body ResolveQuery(Body body, out Dictionary<string, string> queryVars)
    {
        var scope = new Scope(null);
        var resolved = ResolveBody(body, scope, isRuleBody: true);
        queryVars = scope.Names.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return resolved;
    }

    private Body ResolveBody(Body body, Scope scope, bool isRuleBody)
    {
        _ = isRuleBody;
        var declaredHere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in body.Exprs) declaredHere.UnionWith(DeclaredNames(e));
        foreach (var e in body.Exprs)
            foreach (var v in ExprVars(e))
                if (v != "_" && !declaredHere.Contains(v) && scope.Lookup(v) is null && !IsGlobalName(v)) scope.Names[v] = Fresh(v);
        // Names declared with some or := are visible from their declaration on, as in OPA.
        var exprs = new List<Expr>();
        foreach (var e in body.Exprs)
        {
            if (e is UnifyExpr { IsAssign: true } u)
            {
                var right = ResolveTerm(u.Right, scope);
                Declare(e, scope);
                var left = ResolveTerm(u.Left, scope);
                var withs = e.Withs.Select(w => ResolveWith(w, scope)).ToList();
                exprs.Add(new UnifyExpr(left, right, true, u.Loc) { Withs = withs });
                continue;
            }
            Declare(e, scope);
            exprs.Add(ResolveExpr(e, scope));
        }
        // A negated expression needs its variables bound first when they are shared with the rest of the body.
        var ownNames = new HashSet<string>(scope.Names.Values, StringComparer.Ordinal);
        for (int i = 0; i < exprs.Count; i++)
        {
            if (exprs[i] is not NotExpr n) continue;
            var mine = LocalVarsOfExpr(n).ToHashSet(StringComparer.Ordinal);
            var others = new HashSet<string>(StringComparer.Ordinal);
            for (int j = 0; j < exprs.Count; j++)
                if (j != i) others.UnionWith(LocalVarsOfExpr(exprs[j]));
            var required = mine.Where(v => !ownNames.Contains(v) || others.Contains(v)).ToList();
            exprs[i] = n with { RequiredVars = required };
        }
        return new Body(exprs);
    }

    private static IEnumerable<string> DeclaredNames(Expr e) => e switch
    {
        SomeDeclExpr s => s.Vars.Select(v => v.Name),
        SomeInExpr s => (s.Key is null ? [s.Value] : new[] { s.Key, s.Value }).SelectMany(t => VarsOf(t, false)),
        UnifyExpr { IsAssign: true } u => VarsOf(u.Left, false),
        _ => [],
    };

    private void Declare(Expr e, Scope scope)
    {
        switch (e)
        {
            case SomeDeclExpr s:
                foreach (var v in s.Vars) scope.Names[v.Name] = Fresh(v.Name);
                break;
            case SomeInExpr s:
                foreach (var t in s.Key is null ? [s.Value] : new[] { s.Key, s.Value })
                    foreach (var v in VarsOf(t, includeNested: false))
                        if (v != "_") scope.Names[v] = Fresh(v);
                break;
            case UnifyExpr { IsAssign: true } u:
                foreach (var v in VarsOf(u.Left, includeNested: false))
                    if (v != "_") scope.Names[v] = Fresh(v);
                break;
        }
    }

    private IEnumerable<string> ExprVars(Expr e)
    {
        var result = new List<string>();
        switch (e)
        {
            case TermExpr t: result.AddRange(VarsOf(t.Term, false)); break;
            case UnifyExpr u: result.AddRange(VarsOf(u.Left, false)); result.AddRange(VarsOf(u.Right, false)); break;
            case NotExpr n: result.AddRange(ExprVars(n.Inner)); break;
            case SomeInExpr s: result.AddRange(VarsOf(s.Collection, false)); break;
            case EveryExpr ev: result.AddRange(VarsOf(ev.Domain, false)); break;
        }
        foreach (var w in e.Withs)
        {
            var path = TargetPath(w.Value);
            if (path is not null && Builtins.All.ContainsKey(string.Join(".", path))) continue;
            result.AddRange(VarsOf(w.Value, false));
        }
        return result;
    }

    // Variable names in a term; comprehension bodies are separate scopes unless includeNested.
    private static IEnumerable<string> VarsOf(Term t, bool includeNested)
    {
        switch (t)
        {
            case VarTerm v: yield return v.Name; break;
            case RefTerm r:
                foreach (var x in VarsOf(r.Head, includeNested)) yield return x;
                foreach (var p in r.Path)
                    foreach (var x in VarsOf(p, includeNested)) yield return x;
                break;
            case ArrayTerm a:
                foreach (var i in a.Items)
                    foreach (var x in VarsOf(i, includeNested)) yield return x;
                break;
            case SetTerm s:
                foreach (var i in s.Items)
                    foreach (var x in VarsOf(i, includeNested)) yield return x;
                break;
            case ObjectTerm o:
                foreach (var kv in o.Items)
                {
                    foreach (var x in VarsOf(kv.Key, includeNested)) yield return x;
                    foreach (var x in VarsOf(kv.Value, includeNested)) yield return x;
                }
                break;
            case CallTerm c:
                foreach (var a in c.Args)
                    foreach (var x in VarsOf(a, includeNested)) yield return x;
                break;
            case TemplateTerm tt:
                foreach (var p in tt.Parts)
                {
                    if (p is not Expr pe) continue;
                    var inner = pe switch
                    {
                        TermExpr te => [te.Term],
                        UnifyExpr ue => new[] { ue.Left, ue.Right },
                        _ => [],
                    };
                    foreach (var it in inner)
                        foreach (var x in VarsOf(it, includeNested)) yield return x;
                }
                break;
        }
    }

    private Expr ResolveExpr(Expr e, Scope scope)
    {
        var withs = e.Withs.Select(w => ResolveWith(w, scope)).ToList();
        Expr result = e switch
        {
            TermExpr t => new TermExpr(ResolveTerm(t.Term, scope, topLevel: true), t.Loc),
            UnifyExpr u => new UnifyExpr(ResolveTerm(u.Left, scope), ResolveTerm(u.Right, scope), u.IsAssign, u.Loc),
            NotExpr n => new NotExpr(ResolveExpr(n.Inner, scope), n.Loc),
            SomeDeclExpr s => new SomeDeclExpr(s.Vars.Select(v => new VarTerm(scope.Lookup(v.Name)!, v.Loc)).ToList(), s.Loc),
            SomeInExpr s => new SomeInExpr(s.Key is null ? null : ResolveTerm(s.Key, scope), ResolveTerm(s.Value, scope), ResolveTerm(s.Collection, scope), s.Loc),
            EveryExpr ev => ResolveEvery(ev, scope),
            _ => throw new RegoException(RegoErrorCodes.CompileError, "unknown expression", e.Loc),
        };
        return withs.Count > 0 ? result with { Withs = withs } : result;
    }

    private EveryExpr ResolveEvery(EveryExpr ev, Scope scope)
    {
        var domain = ResolveTerm(ev.Domain, scope);
        int mark = _declared.Count;
        var inner = new Scope(scope);
        foreach (var t in ev.Key is null ? [ev.Value] : new[] { ev.Key, ev.Value })
            foreach (var v in VarsOf(t, false))
                if (v != "_") inner.Names[v] = Fresh(v);
        var key = ev.Key is null ? null : ResolveTerm(ev.Key, inner);
        var value = ResolveTerm(ev.Value, inner);
        var body = ResolveBody(ev.Body, inner, false);
        var declaredWithin = _declared.Skip(mark).ToHashSet(StringComparer.Ordinal);
        var closure = body.Exprs.SelectMany(LocalVarsOfExpr).Where(v => !declaredWithin.Contains(v)).Distinct().ToList();
        return new EveryExpr(key, value, domain, body, ev.Loc) { ClosureVars = closure };
    }

    private WithModifier ResolveWith(WithModifier w, Scope scope)
    {
        var path = TargetPath(w.Target) ?? throw new RegoException(RegoErrorCodes.CompileError, "with target must be a reference", w.Loc);
        var fnValue = FunctionTargetOf(w.Value, scope);
        // A function replacement is looked up by name, never evaluated as a term.
        var value = fnValue is null ? ResolveTerm(w.Value, scope) : new ScalarTerm(Value.Null, w.Value.Loc);
        if (path[0] == "input")
            return w with { Value = value, Kind = WithKind.Input, Path = path.Skip(1).ToList() };
        if (path[0] == "data")
        {
            var node = _root.Find(path, 1);
            if (node is { IsFunction: true })
                return w with { Value = value, Kind = WithKind.Function, Path = path, MockKey = node.Name, FunctionValue = fnValue };
            return w with { Value = value, Kind = WithKind.Data, Path = path.Skip(1).ToList() };
        }
        var full = ResolveFunctionName(path);
        if (full.FunctionPath is not null)
        {
            var node = _root.Find(full.FunctionPath);
            if (node is { IsFunction: true })
                return w with { Value = value, Kind = WithKind.Function, Path = path, MockKey = node.Name, FunctionValue = fnValue };
            return w with { Value = value, Kind = WithKind.Data, Path = full.FunctionPath };
        }
        if (!Builtins.All.ContainsKey(full.Builtin!))
            throw new RegoException(RegoErrorCodes.CompileError, $"with target {string.Join(".", path)} is not a known function or document", w.Loc);
        return w with { Value = value, Kind = WithKind.Function, Path = path, MockKey = full.Builtin!, FunctionValue = fnValue };
    }

    private CallTarget? FunctionTargetOf(Term t, Scope scope)
    {
        var path = TargetPath(t);
        if (path is null || path[0] == "input") return null;
        if (scope.Lookup(path[0]) is not null) return null;
        var target = ResolveFunctionName(path);
        if (target.FunctionPath is not null)
            return _root.Find(target.FunctionPath) is { IsFunction: true } ? target : null;
        return Builtins.All.ContainsKey(target.Builtin!) ? target : null;
    }

    private static List<string>? TargetPath(Term t)
    {
        if (t is VarTerm v) return [v.Name];
        if (t is RefTerm { Head: VarTerm h } r)
        {
            var p = new List<string> { h.Name };
            foreach (var x in r.Path)
            {
                if (x is ScalarTerm { Value: StringValue s }) p.Add(s.Value);
                else return null;
            }
            return p;
        }
        return null;
    }

    private CallTarget ResolveFunctionName(IReadOnlyList<string> op)
    {
        if (op[0] == "data") return new CallTarget(null, op.Skip(1).ToArray());
        if (_imports.TryGetValue(op[0], out var imp) && imp[0] == "data")
            return new CallTarget(null, imp.Skip(1).Concat(op.Skip(1)).ToArray());
        if (_ruleNames.Contains(op[0])) return new CallTarget(null, _package.Concat(op).ToArray());
        return new CallTarget(string.Join(".", op), null);
    }

    private Term ResolveTerm(Term t, Scope scope, bool topLevel = false)
    {
        switch (t)
        {
            case ScalarTerm:
                return t;
            case VarTerm v:
                return ResolveVar(v, scope);
            case RefTerm r:
            {
                var head = ResolveTerm(r.Head, scope);
                var path = r.Path.Select(p => ResolveTerm(p, scope)).ToList();
                if (head is RefTerm hr) return new RefTerm(hr.Head, [.. hr.Path, .. path], r.Loc);
                return new RefTerm(head, path, r.Loc);
            }
            case ArrayTerm a:
                return new ArrayTerm(a.Items.Select(i => ResolveTerm(i, scope)).ToList(), a.Loc);
            case SetTerm s:
                return new SetTerm(s.Items.Select(i => ResolveTerm(i, scope)).ToList(), s.Loc);
            case ObjectTerm o:
                return new ObjectTerm(o.Items.Select(kv => new KeyValuePair<Term, Term>(ResolveTerm(kv.Key, scope), ResolveTerm(kv.Value, scope))).ToList(), o.Loc);
            case ComprehensionTerm c:
            {
                int mark = _declared.Count;
                var inner = new Scope(scope);
                var body = ResolveBody(c.Body, inner, false);
                var key = c.Key is null ? null : ResolveHeadTerm(c.Key, inner);
                var value = ResolveHeadTerm(c.Value, inner);
                var declaredWithin = _declared.Skip(mark).ToHashSet(StringComparer.Ordinal);
                var all = body.Exprs.SelectMany(LocalVarsOfExpr).Concat(LocalVars(value));
                if (key is not null) all = all.Concat(LocalVars(key));
                var closure = all.Where(v => !declaredWithin.Contains(v)).Distinct().ToList();
                return new ComprehensionTerm(c.Kind, key, value, body, c.Loc) { ClosureVars = closure };
            }
            case CallTerm call:
            {
                if (call.Operator.Count == 1 && scope.Lookup(call.Operator[0]) is not null)
                    throw new RegoException(RegoErrorCodes.TypeError, $"{call.Operator[0]} is a variable, not a function", call.Loc);
                var target = ResolveFunctionName(call.Operator);
                int arity;
                if (target.FunctionPath is not null)
                {
                    var node = _root.Find(target.FunctionPath);
                    if (node is null || !node.IsFunction)
                    {
                        if (node is not null && call.Args.Count == 0) arity = 0;
                        else throw new RegoException(RegoErrorCodes.TypeError, $"undefined function {target.Name}", call.Loc);
                    }
                    else arity = node.Arity;
                }
                else
                {
                    if (!Builtins.All.TryGetValue(target.Builtin!, out var def))
                        throw new RegoException(RegoErrorCodes.TypeError, $"undefined function {target.Builtin}", call.Loc);
                    arity = def.Arity;
                }
                bool output = call.Args.Count == arity + 1;
                if (!output && call.Args.Count != arity && arity >= 0)
                    throw new RegoException(RegoErrorCodes.TypeError,
                        $"{target.Name}: arity mismatch: {call.Args.Count} arguments given, {arity} expected", call.Loc);
                if (output && !topLevel)
                    throw new RegoException(RegoErrorCodes.TypeError, $"{target.Name}: too many arguments", call.Loc);
                var args = call.Args.Select(a => ResolveTerm(a, scope)).ToList();
                return new CallTerm(call.Operator, args, call.Loc) { Target = target, HasOutputArg = output };
            }
            case TemplateTerm tt:
                return new TemplateTerm(tt.Parts.Select(p => p is Expr e ? (object)ResolveExpr(e, scope) : p).ToList(), tt.Loc);
        }
        throw new RegoException(RegoErrorCodes.CompileError, "unknown term", t.Loc);
    }

    private Term ResolveVar(VarTerm v, Scope scope)
    {
        if (v.Name == "_") return new VarTerm(Fresh("_"), v.Loc);
        var local = scope.Lookup(v.Name);
        if (local is not null) return new VarTerm(local, v.Loc);
        if (v.Name is "data" or "input") return new RefTerm(v, [], v.Loc);
        if (_imports.TryGetValue(v.Name, out var imp))
            return new RefTerm(new VarTerm(imp[0], v.Loc), imp.Skip(1).Select(s => (Term)new ScalarTerm(Value.String(s), v.Loc)).ToList(), v.Loc);
        if (_ruleNames.Contains(v.Name))
            return new RefTerm(new VarTerm("data", v.Loc), _package.Append(v.Name).Select(s => (Term)new ScalarTerm(Value.String(s), v.Loc)).ToList(), v.Loc);
        var fresh = Fresh(v.Name);
        scope.Names[v.Name] = fresh;
        return new VarTerm(fresh, v.Loc);
    }

    internal static IEnumerable<string> LocalVars(Term t)
    {
        switch (t)
        {
            case VarTerm v when !v.IsRoot: yield return v.Name; break;
            case RefTerm r:
                foreach (var x in LocalVars(r.Head)) yield return x;
                foreach (var p in r.Path)
                    foreach (var x in LocalVars(p)) yield return x;
                break;
            case ArrayTerm a:
                foreach (var i in a.Items)
                    foreach (var x in LocalVars(i)) yield return x;
                break;
            case SetTerm s:
                foreach (var i in s.Items)
                    foreach (var x in LocalVars(i)) yield return x;
                break;
            case ObjectTerm o:
                foreach (var kv in o.Items)
                {
                    foreach (var x in LocalVars(kv.Key)) yield return x;
                    foreach (var x in LocalVars(kv.Value)) yield return x;
                }
                break;
            case CallTerm c:
                foreach (var a in c.Args)
                    foreach (var x in LocalVars(a)) yield return x;
                break;
            case ComprehensionTerm c:
                foreach (var x in c.ClosureVars) yield return x;
                break;
            case TemplateTerm tt:
                foreach (var p in tt.Parts)
                    if (p is Expr e)
                        foreach (var x in LocalVarsOfExpr(e)) yield return x;
                break;
        }
    }

    internal static IEnumerable<string> LocalVarsOfExpr(Expr e)
    {
        IEnumerable<string> vars = e switch
        {
            TermExpr t => LocalVars(t.Term),
            UnifyExpr u => LocalVars(u.Left).Concat(LocalVars(u.Right)),
            NotExpr n => LocalVarsOfExpr(n.Inner),
            SomeInExpr s => (s.Key is null ? [] : LocalVars(s.Key)).Concat(LocalVars(s.Value)).Concat(LocalVars(s.Collection)),
            EveryExpr ev => LocalVars(ev.Domain).Concat(ev.ClosureVars),
            _ => [],
        };
        return vars.Concat(e.Withs.SelectMany(w => LocalVars(w.Value)));
    }
}
