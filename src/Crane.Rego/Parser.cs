namespace Crane.Rego;

/// <summary>Recursive-descent parser for Rego v1 modules and queries.</summary>
internal sealed class Parser
{
    private static readonly HashSet<string> Keywords =
        ["if", "contains", "else", "with", "as", "not", "some", "every", "in", "default", "import", "package"];

    private static readonly Dictionary<string, string> Relations = new()
    {
        ["=="] = "equal", ["!="] = "neq", ["<"] = "lt", ["<="] = "lte", [">"] = "gt", [">="] = "gte",
    };

    /// <summary>Deepest nesting of brackets, bodies and template strings; far beyond any real policy, well within the stack.</summary>
    internal const int MaxNesting = 256;

    private readonly List<Token> _tokens;
    private readonly string _file;
    private int _pos;
    private int _depth;
    private int _nesting;
    private bool _noBar;

    public Parser(string file, string source, int line = 1, int column = 1, int nesting = 0)
    {
        _file = file;
        _nesting = nesting;
        _tokens = new Lexer(file, source, line, column, nesting).Tokenize();
    }

    private Token Cur => _tokens[_pos];
    private Token PeekTok(int n = 1) => _tokens[Math.Min(_pos + n, _tokens.Count - 1)];

    private RegoException Error(string message, Token? at = null) =>
        new(RegoErrorCodes.ParseError, message, (at ?? Cur).Loc);

    private Token Take() => _tokens[_pos++];

    private bool Accept(string op)
    {
        if (Cur.Is(op)) { _pos++; return true; }
        return false;
    }

    private Token Expect(string op)
    {
        if (!Cur.Is(op)) throw Error($"expected '{op}' but found {Describe(Cur)}");
        return Take();
    }

    private static string Describe(Token t) => t.Kind switch
    {
        TokenKind.Eof => "end of input",
        TokenKind.String => "string",
        TokenKind.Template => "template string",
        _ => $"'{t.Text}'",
    };

    // Binary operators continue an expression only on the same line, unless inside brackets.
    private bool BinaryOp(string op) => Cur.Is(op) && Cur.Kind == TokenKind.Op && (_depth > 0 || !Cur.NewlineBefore);

    public Module ParseModule()
    {
        var pkgTok = Cur;
        if (!Accept("package")) throw Error("expected 'package' declaration");
        var package = ParseDottedPath();
        if (package.Count > 0 && package[0] == "data") package = package.Skip(1).ToList();
        var imports = new List<Import>();
        var rules = new List<Rule>();
        while (Cur.Kind != TokenKind.Eof)
        {
            if (Cur.Is("import") && Cur.Kind == TokenKind.Ident)
            {
                var loc = Take().Loc;
                var path = ParseDottedPath();
                string alias = path[^1];
                if (Accept("as"))
                {
                    if (Cur.Kind != TokenKind.Ident) throw Error("expected import alias");
                    alias = Take().Text;
                }
                imports.Add(new Import(path, alias, loc));
                continue;
            }
            rules.AddRange(ParseRule());
        }
        _ = pkgTok;
        var module = new Module(_file, package, imports, rules);
        AstDepth.Check(module);
        return module;
    }

    private List<string> ParseDottedPath()
    {
        var parts = new List<string>();
        if (Cur.Kind != TokenKind.Ident) throw Error($"expected a name but found {Describe(Cur)}");
        parts.Add(Take().Text);
        while (!Cur.NewlineBefore)
        {
            if (Accept("."))
            {
                if (Cur.Kind != TokenKind.Ident) throw Error("expected a name after '.'");
                parts.Add(Take().Text);
            }
            else if (Cur.Is("[") && Cur.Kind == TokenKind.Op)
            {
                Take();
                if (Cur.Kind != TokenKind.String) throw Error("expected a string in path");
                parts.Add(Take().StringValue!);
                Expect("]");
            }
            else break;
        }
        return parts;
    }

    private IEnumerable<Rule> ParseRule()
    {
        var start = Cur;
        bool isDefault = false;
        if (Cur.Is("default") && Cur.Kind == TokenKind.Ident) { Take(); isDefault = true; }
        if (Cur.Kind != TokenKind.Ident || Keywords.Contains(Cur.Text))
            throw Error($"unexpected {Describe(Cur)}, expected a rule");
        var refTerms = new List<Term> { new VarTerm(Take().Text, start.Loc) };
        while (!Cur.NewlineBefore)
        {
            if (Cur.Is(".") && Cur.Kind == TokenKind.Op)
            {
                Take();
                if (Cur.Kind != TokenKind.Ident) throw Error("expected a name after '.'");
                var t = Take();
                refTerms.Add(new ScalarTerm(Value.String(t.Text), t.Loc));
            }
            else if (Cur.Is("[") && Cur.Kind == TokenKind.Op)
            {
                Take();
                _depth++;
                refTerms.Add(ParseTermIn(false));
                _depth--;
                Expect("]");
            }
            else break;
        }
        List<Term>? args = null;
        if (Cur.Is("(") && Cur.Kind == TokenKind.Op && !Cur.NewlineBefore)
        {
            Take();
            _depth++;
            args = [];
            if (!Cur.Is(")"))
            {
                do { args.Add(ParseTermIn(false)); } while (Accept(","));
            }
            _depth--;
            Expect(")");
        }
        var kind = args is not null ? RuleKind.Function : RuleKind.Complete;
        Term? key = null;
        Term? value = null;
        if (Cur.Is("contains") && Cur.Kind == TokenKind.Ident)
        {
            Take();
            key = ParseTermIn(false);
            kind = RuleKind.PartialSet;
        }
        else if ((Cur.Is(":=") || Cur.Is("=")) && Cur.Kind == TokenKind.Op)
        {
            Take();
            value = ParseTermIn(false);
        }
        if (isDefault)
        {
            if (value is null) throw Error("default rules must have a value", start);
            yield return new Rule(start.Loc, true, refTerms, args, kind, null, value, Body.Empty, null);
            yield break;
        }
        var body = ParseRuleBody(out bool hadBody);
        if (!hadBody && value is null && key is null && kind != RuleKind.Function && refTerms.Count == 1)
            throw Error($"rule {((VarTerm)refTerms[0]).Name} has no value or body", start);
        value ??= new ScalarTerm(Value.True, start.Loc);
        var elses = new List<(Term Value, Body Body, Location Loc)>();
        while (Cur.Is("else") && Cur.Kind == TokenKind.Ident)
        {
            var elseTok = Take();
            if (kind == RuleKind.PartialSet) throw Error("else keyword cannot be used on multi-value rules", elseTok);
            Term elseValue = new ScalarTerm(Value.True, elseTok.Loc);
            if ((Cur.Is(":=") || Cur.Is("=")) && Cur.Kind == TokenKind.Op)
            {
                Take();
                elseValue = ParseTermIn(false);
            }
            var elseBody = ParseRuleBody(out _);
            elses.Add((elseValue, elseBody, elseTok.Loc));
        }
        Rule? chain = null;
        for (int i = elses.Count - 1; i >= 0; i--)
            chain = new Rule(elses[i].Loc, false, refTerms, args, kind, key, elses[i].Value, elses[i].Body, chain);
        yield return new Rule(start.Loc, false, refTerms, args, kind, key, value, body, chain);
    }

    private Body ParseRuleBody(out bool hadBody)
    {
        hadBody = true;
        if (Cur.Is("if") && Cur.Kind == TokenKind.Ident)
        {
            Take();
            if (Cur.Is("{") && Cur.Kind == TokenKind.Op && !BraceIsLiteral()) return ParseBraceBody();
            return new Body([ParseLiteral()]);
        }
        if (Cur.Is("{") && Cur.Kind == TokenKind.Op && !Cur.NewlineBefore) return ParseBraceBody();
        hadBody = false;
        return Body.Empty;
    }

    // After 'if', a '{' whose top level holds ':' or '|' is an object, set or comprehension, not a body.
    private bool BraceIsLiteral()
    {
        int depth = 0;
        for (int i = _pos; i < _tokens.Count; i++)
        {
            var t = _tokens[i];
            if (t.Kind == TokenKind.Eof) return false;
            if (t.Kind != TokenKind.Op) continue;
            if (t.Text is "{" or "[" or "(") depth++;
            else if (t.Text is "}" or "]" or ")")
            {
                depth--;
                if (depth == 0) return false;
            }
            else if (depth == 1 && t.Text == ":") return true;
        }
        return false;
    }

    // Recursion depth is bounded so that a hostile module is a parse error, not a stack overflow.
    private void Deeper(Token at)
    {
        if (++_nesting > MaxNesting)
            throw Error($"nesting deeper than {MaxNesting} levels", at);
    }

    private Body ParseBraceBody()
    {
        Deeper(Cur);
        try { return ParseBraceBodyCore(); }
        finally { _nesting--; }
    }

    private Body ParseBraceBodyCore()
    {
        Expect("{");
        var exprs = new List<Expr>();
        int saveDepth = _depth;
        bool saveBar = _noBar;
        _depth = 0;
        _noBar = false;
        while (!Cur.Is("}"))
        {
            if (Cur.Kind == TokenKind.Eof) throw Error("unterminated body, expected '}'");
            exprs.Add(ParseLiteral());
            if (Accept(";")) continue;
            if (Cur.Is("}")) break;
            if (!Cur.NewlineBefore) throw Error($"unexpected {Describe(Cur)}, expected end of expression");
        }
        Expect("}");
        _depth = saveDepth;
        _noBar = saveBar;
        if (exprs.Count == 0) throw Error("found empty body");
        return new Body(exprs);
    }

    /// <summary>A query: literals separated by ';' or newlines.</summary>
    public Body ParseQuery()
    {
        var exprs = new List<Expr>();
        while (Cur.Kind != TokenKind.Eof)
        {
            exprs.Add(ParseLiteral());
            if (Accept(";")) continue;
            if (Cur.Kind == TokenKind.Eof) break;
            if (!Cur.NewlineBefore) throw Error($"unexpected {Describe(Cur)}, expected end of expression");
        }
        if (exprs.Count == 0) throw Error("empty query");
        var query = new Body(exprs);
        AstDepth.Check(query);
        return query;
    }

    public Expr ParseTemplateExpr()
    {
        var e = ParseLiteral();
        if (Cur.Kind != TokenKind.Eof) throw Error($"unexpected {Describe(Cur)} in template expression");
        return e;
    }

    private Expr ParseLiteral()
    {
        var start = Cur;
        Expr expr;
        if (Cur.Is("not") && Cur.Kind == TokenKind.Ident)
        {
            Take();
            var inner = ParseLiteralCore();
            expr = new NotExpr(inner, start.Loc);
        }
        else expr = ParseLiteralCore();
        var withs = new List<WithModifier>();
        while (Cur.Is("with") && Cur.Kind == TokenKind.Ident)
        {
            var w = Take();
            var target = ParsePostfix(ParsePrimary());
            Expect("as");
            var value = ParseTermIn(false);
            withs.Add(new WithModifier(target, value, w.Loc));
        }
        return withs.Count > 0 ? expr with { Withs = withs } : expr;
    }

    private Expr ParseLiteralCore()
    {
        var start = Cur;
        if (Cur.Is("some") && Cur.Kind == TokenKind.Ident)
        {
            Take();
            var first = ParseTermRelation();
            Term? second = null;
            var more = new List<Term> { first };
            while (Accept(",")) more.Add(ParseTermRelation());
            if (Cur.Is("in") && Cur.Kind == TokenKind.Ident)
            {
                Take();
                if (more.Count > 2) throw Error("unexpected ',' in some declaration");
                if (more.Count == 2) second = more[1];
                var coll = ParseTermRelation();
                return second is null
                    ? new SomeInExpr(null, first, coll, start.Loc)
                    : new SomeInExpr(first, second, coll, start.Loc);
            }
            var vars = new List<VarTerm>();
            foreach (var t in more)
            {
                if (t is not VarTerm v) throw Error("expected variable in some declaration", start);
                vars.Add(v);
            }
            return new SomeDeclExpr(vars, start.Loc);
        }
        if (Cur.Is("every") && Cur.Kind == TokenKind.Ident)
        {
            Take();
            var first = ParseTermRelation();
            Term? second = null;
            if (Accept(",")) second = ParseTermRelation();
            Expect("in");
            var domain = ParseTermRelation();
            var body = ParseBraceBody();
            return second is null
                ? new EveryExpr(null, first, domain, body, start.Loc)
                : new EveryExpr(first, second, domain, body, start.Loc);
        }
        var lhs = ParseTermIn(true);
        if (BinaryOp(":="))
        {
            Take();
            var rhs = ParseTermIn(false);
            return new UnifyExpr(lhs, rhs, true, start.Loc);
        }
        if (BinaryOp("="))
        {
            Take();
            var rhs = ParseTermIn(false);
            return new UnifyExpr(lhs, rhs, false, start.Loc);
        }
        return new TermExpr(lhs, start.Loc);
    }

    private Term ParseTermIn(bool keyVal)
    {
        var left = ParseTermRelation();
        if (keyVal && Cur.Is(",") && Cur.Kind == TokenKind.Op)
        {
            Take();
            var value = ParseTermRelation();
            if (!(Cur.Is("in") && Cur.Kind == TokenKind.Ident)) throw Error("expected 'in' after key, value");
            Take();
            var coll = ParseTermRelation();
            left = new CallTerm(["internal", "member_3"], [left, value, coll], left.Loc);
        }
        while (Cur.Is("in") && Cur.Kind == TokenKind.Ident && (_depth > 0 || !Cur.NewlineBefore))
        {
            Take();
            var right = ParseTermRelation();
            left = new CallTerm(["internal", "member_2"], [left, right], left.Loc);
        }
        return left;
    }

    private Term ParseTermRelation()
    {
        var left = ParseTermOr();
        while (Cur.Kind == TokenKind.Op && Relations.TryGetValue(Cur.Text, out var name) && (_depth > 0 || !Cur.NewlineBefore))
        {
            Take();
            var right = ParseTermOr();
            left = new CallTerm([name], [left, right], left.Loc);
        }
        return left;
    }

    private Term ParseTermOr()
    {
        var left = ParseTermAnd();
        while (!_noBar && BinaryOp("|"))
        {
            Take();
            left = new CallTerm(["or"], [left, ParseTermAnd()], left.Loc);
        }
        return left;
    }

    private Term ParseTermAnd()
    {
        var left = ParseTermArith();
        while (BinaryOp("&"))
        {
            Take();
            left = new CallTerm(["and"], [left, ParseTermArith()], left.Loc);
        }
        return left;
    }

    private Term ParseTermArith()
    {
        var left = ParseTermFactor();
        while (BinaryOp("+") || BinaryOp("-"))
        {
            var op = Take().Text == "+" ? "plus" : "minus";
            left = new CallTerm([op], [left, ParseTermFactor()], left.Loc);
        }
        return left;
    }

    private Term ParseTermFactor()
    {
        var left = ParsePostfix(ParsePrimary());
        while (BinaryOp("*") || BinaryOp("/") || BinaryOp("%"))
        {
            var op = Take().Text switch { "*" => "mul", "/" => "div", _ => "rem" };
            left = new CallTerm([op], [left, ParsePostfix(ParsePrimary())], left.Loc);
        }
        return left;
    }

    private Term ParsePrimary()
    {
        var t = Cur;
        switch (t.Kind)
        {
            case TokenKind.Number:
                Take();
                return new ScalarTerm(Value.Number(NumberOf(t)), t.Loc);
            case TokenKind.String:
                Take();
                return new ScalarTerm(Value.String(t.StringValue!), t.Loc);
            case TokenKind.Template:
                Take();
                return ParseTemplate(t);
            case TokenKind.Ident:
                if (Keywords.Contains(t.Text) && !(t.Text == "contains" && PeekTok().Is("(")))
                    throw Error($"unexpected keyword '{t.Text}'");
                Take();
                return t.Text switch
                {
                    "true" => new ScalarTerm(Value.True, t.Loc),
                    "false" => new ScalarTerm(Value.False, t.Loc),
                    "null" => new ScalarTerm(Value.Null, t.Loc),
                    "set" when Cur.Is("(") && PeekTok().Is(")") && !Cur.NewlineBefore => EmptySet(t),
                    _ => new VarTerm(t.Text, t.Loc),
                };
            case TokenKind.Op:
                if (t.Text == "-" && PeekTok().Kind == TokenKind.Number && PeekTok().Loc.Column == t.Loc.Column + 1 && PeekTok().Loc.Line == t.Loc.Line)
                {
                    Take();
                    var n = Take();
                    return new ScalarTerm(Value.Number(-NumberOf(n)), t.Loc);
                }
                if (t.Text == "(") return Nested(() =>
                {
                    Take();
                    var inner = ParseTermIn(true);
                    Expect(")");
                    return inner;
                });
                if (t.Text == "[") return Nested(() => ParseArray(t));
                if (t.Text == "{") return Nested(() => ParseBrace(t));
                break;
        }
        throw Error($"unexpected {Describe(t)}");
    }

    private RegoNumber NumberOf(Token t) =>
        RegoNumber.TryParse(t.Text, out var n) ? n : throw Error($"number {t.Text} is out of range", t);

    private Term EmptySet(Token t)
    {
        Take();
        Take();
        return new SetTerm([], t.Loc);
    }

    private Term Nested(Func<Term> parse)
    {
        Deeper(Cur);
        bool saveBar = _noBar;
        _depth++;
        _noBar = false;
        try { return parse(); }
        finally { _depth--; _noBar = saveBar; _nesting--; }
    }

    private Term ParseArray(Token open)
    {
        Take();
        if (Accept("]")) return new ArrayTerm([], open.Loc);
        _noBar = true;
        var first = ParseTermIn(false);
        _noBar = false;
        if (Accept("|"))
        {
            var body = ParseComprehensionBody("]");
            return new ComprehensionTerm(ComprehensionKind.Array, null, first, body, open.Loc);
        }
        var items = new List<Term> { first };
        while (Accept(","))
        {
            if (Cur.Is("]")) break;
            items.Add(ParseTermIn(false));
        }
        Expect("]");
        return new ArrayTerm(items, open.Loc);
    }

    private Term ParseBrace(Token open)
    {
        Take();
        if (Accept("}")) return new ObjectTerm([], open.Loc);
        _noBar = true;
        var first = ParseTermIn(false);
        if (Accept(":"))
        {
            var value = ParseTermIn(false);
            _noBar = false;
            if (Accept("|"))
            {
                var body = ParseComprehensionBody("}");
                return new ComprehensionTerm(ComprehensionKind.Object, first, value, body, open.Loc);
            }
            var pairs = new List<KeyValuePair<Term, Term>> { new(first, value) };
            while (Accept(","))
            {
                if (Cur.Is("}")) break;
                var k = ParseTermIn(false);
                Expect(":");
                pairs.Add(new(k, ParseTermIn(false)));
            }
            Expect("}");
            return new ObjectTerm(pairs, open.Loc);
        }
        _noBar = false;
        if (Accept("|"))
        {
            var body = ParseComprehensionBody("}");
            return new ComprehensionTerm(ComprehensionKind.Set, null, first, body, open.Loc);
        }
        var items = new List<Term> { first };
        while (Accept(","))
        {
            if (Cur.Is("}")) break;
            items.Add(ParseTermIn(false));
        }
        Expect("}");
        return new SetTerm(items, open.Loc);
    }

    private Body ParseComprehensionBody(string close)
    {
        var exprs = new List<Expr>();
        int saveDepth = _depth;
        _depth = 0;
        while (true)
        {
            if (Cur.Kind == TokenKind.Eof) throw Error($"unterminated comprehension, expected '{close}'");
            exprs.Add(ParseLiteral());
            if (Accept(";")) continue;
            if (Cur.Is(close)) break;
            if (!Cur.NewlineBefore) throw Error($"unexpected {Describe(Cur)} in comprehension body");
        }
        _depth = saveDepth;
        Expect(close);
        return new Body(exprs);
    }

    private Term ParsePostfix(Term term)
    {
        while (!Cur.NewlineBefore && Cur.Kind == TokenKind.Op)
        {
            if (Cur.Text == ".")
            {
                Take();
                if (Cur.Kind != TokenKind.Ident) throw Error("expected a name after '.'");
                var name = Take();
                term = AppendRef(term, new ScalarTerm(Value.String(name.Text), name.Loc));
            }
            else if (Cur.Text == "[")
            {
                var key = Nested(() =>
                {
                    Take();
                    var k = ParseTermIn(false);
                    Expect("]");
                    return k;
                });
                term = AppendRef(term, key);
            }
            else if (Cur.Text == "(")
            {
                var op = OperatorPath(term) ?? throw Error("invalid function call target");
                var args = new List<Term>();
                Nested(() =>
                {
                    Take();
                    if (!Cur.Is(")"))
                    {
                        do { args.Add(ParseTermIn(false)); } while (Accept(","));
                    }
                    Expect(")");
                    return term;
                });
                term = new CallTerm(op, args, term.Loc);
            }
            else break;
        }
        return term;
    }

    private static Term AppendRef(Term term, Term key) => term is RefTerm r
        ? new RefTerm(r.Head, [.. r.Path, key], r.Loc)
        : new RefTerm(term, [key], term.Loc);

    private static List<string>? OperatorPath(Term term)
    {
        if (term is VarTerm v) return [v.Name];
        if (term is RefTerm { Head: VarTerm h } r)
        {
            var path = new List<string> { h.Name };
            foreach (var p in r.Path)
            {
                if (p is ScalarTerm { Value: StringValue s }) path.Add(s.Value);
                else return null;
            }
            return path;
        }
        return null;
    }

    private TemplateTerm ParseTemplate(Token t)
    {
        var parts = new List<object>();
        foreach (var p in t.Parts!)
        {
            if (p.Literal is not null) parts.Add(p.Literal);
            else parts.Add(new Parser(_file, p.Source!, p.Line, p.Column, _nesting + 1).ParseTemplateExpr());
        }
        return new TemplateTerm(parts, t.Loc);
    }
}
