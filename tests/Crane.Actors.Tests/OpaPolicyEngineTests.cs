using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Crane.Actors.Policy;

namespace Crane.Actors.Tests;

/// <summary>
/// Contract tests: no OPA binary can be installed here, so these run against an HTTP listener that
/// records requests and answers in the wire format OPA's REST API documents. The names say so.
/// </summary>
public sealed class OpaPolicyEngineContractTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<(string Method, string Path, string Body)> _requests = [];
    private readonly int _port;
    private Func<string, string, (int Status, string Body)> _answer = (_, _) => (200, "{}");

    public OpaPolicyEngineContractTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://+:{_port}/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var body = await new StreamReader(ctx.Request.InputStream).ReadToEndAsync();
            var path = ctx.Request.Url!.AbsolutePath;
            lock (_requests)
                _requests.Add((ctx.Request.HttpMethod, path, body));
            var (status, answer) = _answer(ctx.Request.HttpMethod, path);
            ctx.Response.StatusCode = status;
            var bytes = Encoding.UTF8.GetBytes(answer);
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    // The contract is about the wire format; a generous decision deadline keeps a cold first request from failing it.
    private OpaPolicyEngine Engine() => new(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}/") }, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Contract_decisions_are_posted_to_the_data_api_with_the_input()
    {
        _answer = (_, path) => path == "/v1/data/crane/admission/deny" ? (200, """{"result": ["too big"]}""") : (200, "{}");

        var result = await Engine().Evaluate(OpaPolicyEngine.MergedPolicy, "crane.admission.deny", new JsonObject { ["operation"] = "create" }, Engine().StartDecision(), default);

        Assert.Equal("""["too big"]""", result!.ToJsonString());
        var (method, _, body) = _requests.Single(r => r.Path == "/v1/data/crane/admission/deny");
        Assert.Equal("POST", method);
        Assert.Equal("create", JsonNode.Parse(body)!["input"]!["operation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Contract_an_undefined_document_is_null()
    {
        Assert.Null(await Engine().Evaluate(OpaPolicyEngine.MergedPolicy, "crane.admission.warn", new JsonObject(), Engine().StartDecision(), default));
    }

    [Fact]
    public async Task Contract_modules_are_put_and_removed_ones_deleted()
    {
        var engine = Engine();
        await engine.Load(new Dictionary<string, string> { ["a"] = "package a", ["b"] = "package b" }, default);
        await engine.Load(new Dictionary<string, string> { ["a"] = "package a" }, default);

        Assert.Contains(("PUT", "/v1/policies/b", "package b"), _requests);
        Assert.Contains(_requests, r => r is ("DELETE", "/v1/policies/b", _));
    }

    [Fact]
    public async Task Contract_a_compile_error_comes_back_with_its_position()
    {
        _answer = (method, _) => method == "PUT"
            ? (400, """{"code": "invalid_parameter", "message": "error(s) occurred while compiling module(s)", "errors": [{"code": "rego_parse_error", "message": "unexpected eof token", "location": {"file": "x", "row": 4, "col": 7}}]}""")
            : (200, "{}");

        var problem = await Engine().Check("p", "package x\n\ndeny if {\n  x :=", default);

        Assert.Equal(("unexpected eof token", 4, 7), (problem!.Message, problem.Line, problem.Column));
    }

    [Fact]
    public async Task Contract_an_OPA_that_does_not_answer_is_reported_as_unavailable()
    {
        _listener.Stop();

        await Assert.ThrowsAsync<PolicyUnavailableException>(() => Engine().Evaluate(OpaPolicyEngine.MergedPolicy, "crane.admission.deny", new JsonObject(), Engine().StartDecision(), default));
    }

    [Fact]
    public async Task A_decision_past_its_deadline_asks_OPA_nothing_more()
    {
        // One deadline per decision: once it has passed, the next module's request is not even sent.
        var expired = new Crane.Rego.EvaluationBudget(long.MaxValue, TimeSpan.Zero);

        var error = await Assert.ThrowsAsync<PolicyUnavailableException>(() => Engine().Evaluate(OpaPolicyEngine.MergedPolicy, "crane.admission.deny", new JsonObject(), expired, default));

        Assert.Contains("time budget", error.Message);
        lock (_requests)
            Assert.Empty(_requests);
    }

    public void Dispose() => _listener.Close();
}
