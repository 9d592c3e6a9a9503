namespace Crane.Rego.Tests;

public sealed class ParserErrorTests
{
    [Theory]
    // Line 3 column 11 is the stray ')' after "input.x ==".
    [InlineData("package p\n\nallow if { input.x == ) }\n", 3, 23)]
    // An unterminated string on line 2; the error points at its end of line.
    [InlineData("package p\nmsg := \"abc\n", 2, 12)]
    // A missing package declaration is reported at the first token.
    [InlineData("allow := true\n", 1, 1)]
    // An unclosed body runs to the end of the file (line 4, column 1).
    [InlineData("package p\n\nallow if {\n", 4, 1)]
    public void ParseErrorsCarryFileLineAndColumn(string source, int line, int column)
    {
        var result = RegoCompiler.Compile("policies/p.rego", source);

        Assert.False(result.IsOk);
        var error = result.Error!;
        Assert.Equal(RegoErrorCodes.ParseError, error.Code);
        Assert.Equal("policies/p.rego", error.File);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void UnknownFunctionIsATypeErrorAtTheCall()
    {
        var result = RegoCompiler.Compile("p.rego", "package p\n\nx := nope(1)\n");

        Assert.False(result.IsOk);
        Assert.Equal(RegoErrorCodes.TypeError, result.Error!.Code);
        Assert.Equal((3, 6), (result.Error.Line, result.Error.Column));
        Assert.Contains("undefined function nope", result.Error.Message);
    }

    [Fact]
    public void ErrorInSecondModuleNamesThatFile()
    {
        var result = RegoCompiler.Compile([("a.rego", "package a\nx := 1\n"), ("b.rego", "package b\ny := [1,\n")]);

        Assert.False(result.IsOk);
        Assert.Equal("b.rego", result.Error!.File);
    }
}
