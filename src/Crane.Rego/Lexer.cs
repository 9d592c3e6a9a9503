using System.Globalization;
using System.Text;

namespace Crane.Rego;

internal enum TokenKind { Ident, Number, String, Template, Op, Eof }

internal sealed record TemplatePart(string? Literal, string? Source, int Line, int Column);

internal sealed record Token(TokenKind Kind, string Text, Location Loc, bool NewlineBefore)
{
    public string? StringValue { get; init; }
    public IReadOnlyList<TemplatePart>? Parts { get; init; }
    public bool Is(string op) => (Kind == TokenKind.Op || Kind == TokenKind.Ident) && Text == op;
}

/// <summary>Turns Rego source into tokens; newlines are kept as a flag on the following token.</summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
        [":=", "==", "!=", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "&", "|", "[", "]", "{", "}", "(", ")", ".", ",", ";", ":"];

    private readonly string _src;
    private readonly string _file;
    private int _pos;
    private int _line;
    private int _col;
    private int _nesting;

    public Lexer(string file, string src, int line = 1, int column = 1, int nesting = 0)
    {
        _file = file;
        _src = src;
        _line = line;
        _col = column;
        _nesting = nesting;
    }

    public List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        bool newline = false;
        while (true)
        {
            newline |= SkipTrivia();
            if (_pos >= _src.Length)
            {
                tokens.Add(new Token(TokenKind.Eof, "", Here(), true));
                return tokens;
            }
            tokens.Add(Next(newline));
            newline = false;
        }
    }

    private Location Here() => new(_file, _line, _col);

    private RegoException Error(string message) => new(RegoErrorCodes.ParseError, message, Here());

    private char Peek(int ahead = 0) => _pos + ahead < _src.Length ? _src[_pos + ahead] : '\0';

    private void Advance()
    {
        if (_src[_pos] == '\n') { _line++; _col = 1; }
        else _col++;
        _pos++;
    }

    private bool SkipTrivia()
    {
        bool newline = false;
        while (_pos < _src.Length)
        {
            char c = _src[_pos];
            if (c == '\n') { newline = true; Advance(); }
            else if (char.IsWhiteSpace(c)) Advance();
            else if (c == '#') { while (_pos < _src.Length && _src[_pos] != '\n') Advance(); }
            else break;
        }
        return newline;
    }

    private Token Next(bool newline)
    {
        var loc = Here();
        char c = Peek();
        if (char.IsLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) Advance();
            return new Token(TokenKind.Ident, _src[start.._pos], loc, newline);
        }
        if (char.IsDigit(c)) return new Token(TokenKind.Number, ReadNumber(), loc, newline);
        if (c == '"')
        {
            Advance();
            return new Token(TokenKind.String, "\"", loc, newline) { StringValue = ReadQuoted() };
        }
        if (c == '`')
        {
            Advance();
            int start = _pos;
            while (_pos < _src.Length && _src[_pos] != '`') Advance();
            if (_pos >= _src.Length) throw new RegoException(RegoErrorCodes.ParseError, "unterminated raw string", loc);
            var s = _src[start.._pos];
            Advance();
            return new Token(TokenKind.String, "`", loc, newline) { StringValue = s };
        }
        if (c == '$' && (Peek(1) == '"' || Peek(1) == '`'))
        {
            Advance();
            char quote = Peek();
            Advance();
            return new Token(TokenKind.Template, "$", loc, newline) { Parts = ReadTemplate(quote, loc) };
        }
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) == 0)
            {
                for (int i = 0; i < op.Length; i++) Advance();
                return new Token(TokenKind.Op, op, loc, newline);
            }
        }
        throw Error($"unexpected character '{c}'");
    }

    private string ReadNumber()
    {
        int start = _pos;
        while (char.IsDigit(Peek())) Advance();
        if (Peek() == '.' && char.IsDigit(Peek(1)))
        {
            Advance();
            while (char.IsDigit(Peek())) Advance();
        }
        if ((Peek() == 'e' || Peek() == 'E') && (char.IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && char.IsDigit(Peek(2)))))
        {
            Advance();
            if (Peek() == '+' || Peek() == '-') Advance();
            while (char.IsDigit(Peek())) Advance();
        }
        return _src[start.._pos];
    }

    private string ReadQuoted()
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length || Peek() == '\n') throw Error("unterminated string");
            char c = Peek();
            if (c == '"') { Advance(); return sb.ToString(); }
            if (c == '\\') { Advance(); ReadEscape(sb, allowBrace: false); continue; }
            sb.Append(c);
            Advance();
        }
    }

    private void ReadEscape(StringBuilder sb, bool allowBrace)
    {
        char e = Peek();
        switch (e)
        {
            case '"': sb.Append('"'); break;
            case '\\': sb.Append('\\'); break;
            case '/': sb.Append('/'); break;
            case 'b': sb.Append('\b'); break;
            case 'f': sb.Append('\f'); break;
            case 'n': sb.Append('\n'); break;
            case 'r': sb.Append('\r'); break;
            case 't': sb.Append('\t'); break;
            case '{' when allowBrace: sb.Append('{'); break;
            case 'u':
                Advance();
                if (_pos + 4 > _src.Length) throw Error("invalid unicode escape");
                var hex = _src.Substring(_pos, 4);
                if (!int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                    throw Error("invalid unicode escape");
                sb.Append((char)code);
                for (int i = 0; i < 3; i++) Advance();
                break;
            default: throw Error($"invalid escape sequence \\{e}");
        }
        Advance();
    }

    private List<TemplatePart> ReadTemplate(char quote, Location start)
    {
        // Templates nest inside template expressions: bounded like the parser's brackets.
        if (++_nesting > Parser.MaxNesting)
            throw new RegoException(RegoErrorCodes.ParseError, $"nesting deeper than {Parser.MaxNesting} levels", start);
        try { return ReadTemplateCore(quote, start); }
        finally { _nesting--; }
    }

    private List<TemplatePart> ReadTemplateCore(char quote, Location start)
    {
        var parts = new List<TemplatePart>();
        var lit = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw new RegoException(RegoErrorCodes.ParseError, "unterminated template string", start);
            char c = Peek();
            if (c == quote)
            {
                Advance();
                if (lit.Length > 0) parts.Add(new TemplatePart(lit.ToString(), null, 0, 0));
                // A multi-line template starting with a line break does not keep it.
                if (quote == '`' && parts.Count > 0 && parts[0].Literal is { } first && first.StartsWith('\n'))
                    parts[0] = parts[0] with { Literal = first[1..] };
                return parts;
            }
            if (c == '\\')
            {
                if (quote == '`')
                {
                    if (Peek(1) == '{') { Advance(); Advance(); lit.Append('{'); }
                    else { lit.Append(c); Advance(); }
                    continue;
                }
                Advance();
                ReadEscape(lit, allowBrace: true);
                continue;
            }
            if (c == '{')
            {
                if (lit.Length > 0) { parts.Add(new TemplatePart(lit.ToString(), null, 0, 0)); lit.Clear(); }
                Advance();
                int line = _line, col = _col, from = _pos;
                SkipBalanced();
                parts.Add(new TemplatePart(null, _src[from.._pos], line, col));
                Advance();
                continue;
            }
            if (quote == '"' && c == '\n') throw Error("unterminated template string");
            lit.Append(c);
            Advance();
        }
    }

    // Moves to the '}' closing a template expression, stepping over nested strings and braces.
    private void SkipBalanced()
    {
        int depth = 0;
        while (true)
        {
            if (_pos >= _src.Length) throw Error("unterminated template expression");
            char c = Peek();
            if (c == '}' && depth == 0) return;
            if (c == '{') depth++;
            else if (c == '}') depth--;
            else if (c == '"') { Advance(); ReadQuoted(); continue; }
            else if (c == '`')
            {
                Advance();
                while (_pos < _src.Length && Peek() != '`') Advance();
                if (_pos >= _src.Length) throw Error("unterminated raw string in template expression");
            }
            else if (c == '$' && (Peek(1) == '"' || Peek(1) == '`'))
            {
                Advance();
                char q = Peek();
                Advance();
                ReadTemplate(q, Here());
                continue;
            }
            Advance();
        }
    }
}
