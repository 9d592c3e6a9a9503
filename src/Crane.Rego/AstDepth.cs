namespace Crane.Rego;

/// <summary>
/// Refuses a parsed module or query whose syntax tree is deeper than <see cref="MaxDepth"/>. The compiler and
/// evaluator recurse over the tree; a long operator chain (1 + 1 + ... + 1) nests without any bracket, so the
/// parser's bracket limit alone does not keep them off the end of the stack. Walks with its own stack.
/// </summary>
internal static class AstDepth
{
    public const int MaxDepth = 512;

    public static void Check(Module module)
    {
        foreach (var rule in module.Rules)
            for (var r = rule; r is not null; r = r.Else)
            {
                var roots = new List<object>(r.Ref) { r.Value, r.Body };
                if (r.Args is not null) roots.AddRange(r.Args);
                if (r.Key is not null) roots.Add(r.Key);
                Check(roots);
            }
    }

    public static void Check(Body query) => Check([query]);

    private static void Check(IEnumerable<object> roots)
    {
        var pending = new Stack<(object Node, int Depth)>();
        foreach (var root in roots) pending.Push((root, 1));
        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            if (depth > MaxDepth)
                throw new RegoException(RegoErrorCodes.ParseError, $"expression nested deeper than {MaxDepth} levels", LocationOf(node));
            foreach (var child in Children(node)) pending.Push((child, depth + 1));
        }
    }

    private static Location? LocationOf(object node) => node switch
    {
        Term t => t.Loc,
        Expr e => e.Loc,
        _ => null,
    };

    private static IEnumerable<object> Children(object node)
    {
        switch (node)
        {
            case RefTerm r:
                yield return r.Head;
                foreach (var p in r.Path) yield return p;
                break;
            case ArrayTerm a:
                foreach (var i in a.Items) yield return i;
                break;
            case SetTerm s:
                foreach (var i in s.Items) yield return i;
                break;
            case ObjectTerm o:
                foreach (var kv in o.Items)
                {
                    yield return kv.Key;
                    yield return kv.Value;
                }
                break;
            case CallTerm c:
                foreach (var a in c.Args) yield return a;
                break;
            case ComprehensionTerm c:
                if (c.Key is not null) yield return c.Key;
                yield return c.Value;
                yield return c.Body;
                break;
            case TemplateTerm t:
                foreach (var p in t.Parts)
                    if (p is Expr e) yield return e;
                break;
            case Body b:
                foreach (var e in b.Exprs) yield return e;
                break;
            case Expr e:
                foreach (var w in e.Withs)
                {
                    yield return w.Target;
                    yield return w.Value;
                }
                foreach (var child in ExprChildren(e)) yield return child;
                break;
        }
    }

    private static IEnumerable<object> ExprChildren(Expr e)
    {
        switch (e)
        {
            case TermExpr t:
                yield return t.Term;
                break;
            case UnifyExpr u:
                yield return u.Left;
                yield return u.Right;
                break;
            case NotExpr n:
                yield return n.Inner;
                break;
            case SomeDeclExpr s:
                foreach (var v in s.Vars) yield return v;
                break;
            case SomeInExpr s:
                if (s.Key is not null) yield return s.Key;
                yield return s.Value;
                yield return s.Collection;
                break;
            case EveryExpr ev:
                if (ev.Key is not null) yield return ev.Key;
                yield return ev.Value;
                yield return ev.Domain;
                yield return ev.Body;
                break;
        }
    }
}
