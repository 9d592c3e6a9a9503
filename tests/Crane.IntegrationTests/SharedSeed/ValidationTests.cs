using System.Net;
using System.Text.Json;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed class ValidationTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    /// <summary>name, body, content type, expected field (null: none), expected line (0: any positive, -1: none), expected column (0: any positive).</summary>
    public static TheoryData<string, string, string, string?, int, int> InvalidSpecs => new()
    {
        { "bad-unknown-field", "name: bad-unknown-field\nimage: crane/demo:latest\nfoo: 1\n", "application/yaml", "foo", 3, 1 },
        { "bad-memory-unit", "name: bad-memory-unit\nimage: crane/demo:latest\nresources: {cpu: 0.1, memory: 64Xi}\n", "application/yaml", "resources.memory", 3, 0 },
        { "Bad_Name", "name: Bad_Name\nimage: crane/demo:latest\n", "application/yaml", "name", 1, 7 },
        { "bad-negative", "name: bad-negative\nimage: crane/demo:latest\nreplicas: -1\n", "application/yaml", "replicas", 3, 11 },
        { "bad-no-image", "name: bad-no-image\nreplicas: 1\n", "application/yaml", "image", 0, 0 },
        { "bad-yaml", "name: bad-yaml\nimage: crane/demo:latest\nreplicas: 1\n  extra: 2\n", "application/yaml", null, 4, 0 },
        { "bad-json-type", "{\"name\": \"bad-json-type\", \"image\": \"crane/demo:latest\", \"replicas\": \"three\"}", "application/json", "replicas", 1, 0 },
        { "bad-json-memory", "{\n  \"name\": \"bad-json-memory\",\n  \"image\": \"crane/demo:latest\",\n  \"resources\": {\"cpu\": 0.1, \"memory\": \"12Q\"}\n}", "application/json", "resources.memory", 4, 0 },
        { "bad-json-unknown", "{\"name\": \"bad-json-unknown\", \"image\": \"crane/demo:latest\", \"replica\": 2}", "application/json", "replica", 1, 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public async Task InvalidSpec_Is400WithFieldAndPosition_AndCreatesNothing(string name, string body, string contentType, string? field, int line, int column)
    {
        var response = await _crane.Api.ApplyAsync(body, contentType);

        Assert.True(response.Status == HttpStatusCode.BadRequest, $"expected 400 for {name}: {response}");
        var json = response.Json;
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()), $"no error text: {response}");
        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        if (field is null)
            Assert.True(!json.TryGetProperty("field", out var f) || f.ValueKind == JsonValueKind.Null, $"no field expected: {response}");
        else
            Assert.True(json.TryGetProperty("field", out var f) && f.GetString() == field, $"expected field '{field}': {response}");
        if (line > 0)
            Assert.True(json.GetProperty("line").GetInt32() == line, $"expected line {line}: {response}");
        else if (line == 0 && json.TryGetProperty("line", out var l))
            Assert.True(l.GetInt32() > 0, $"line should be positive: {response}");
        if (column > 0)
            Assert.True(json.GetProperty("column").GetInt32() == column, $"expected column {column}: {response}");
        else if (json.TryGetProperty("column", out var c))
            Assert.True(c.GetInt32() > 0, $"column should be positive: {response}");

        var get = await _crane.Api.GetWorkloadRawAsync(name);
        Assert.True(get.Status == HttpStatusCode.NotFound, $"a rejected spec must not create {name}: {get}");
        Assert.Empty(await DockerCli.WorkloadContainersAsync(_crane.TestId, name));
    }

    [Fact]
    public async Task An_unknown_api_path_is_a_json_404_and_a_node_can_be_read_by_name()
    {
        var unknown = await _crane.Api.SendAsync(HttpMethod.Get, "/api/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains("no API endpoint GET /api/v1/no-such-thing", unknown.Json.GetProperty("error").GetString());

        var node = await _crane.Api.SendAsync(HttpMethod.Get, $"/api/v1/nodes/{_crane.NodeName}");
        Assert.Equal(HttpStatusCode.OK, node.Status);
        Assert.Equal(_crane.NodeName, node.Json.GetProperty("name").GetString());
        var missing = await _crane.Api.SendAsync(HttpMethod.Get, "/api/v1/nodes/no-such-node");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains("no-such-node", missing.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UnknownStrategy_Is400OnFieldStrategy_AndCreatesNothing()
    {
        var name = Specs.UniqueName("bad-strategy");
        var response = await _crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nstrategy: no-such-strategy\n");

        Assert.True(response.Status == HttpStatusCode.BadRequest, $"expected 400: {response}");
        Assert.Equal("strategy", response.Json.GetProperty("field").GetString());
        Assert.Contains("no-such-strategy", response.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Null(await _crane.Api.GetWorkloadAsync(name));
    }

    [Fact]
    public async Task DryRun_ValidatesWithoutCreating()
    {
        var name = Specs.UniqueName("dry");
        var ok = await _crane.Api.ApplyAsync(Specs.Demo(name, 2), dryRun: true);
        Assert.True(ok.Status == HttpStatusCode.OK, $"dry run of a valid spec: {ok}");

        var bad = await _crane.Api.ApplyAsync($"name: {name}\nimage: crane/demo:latest\nreplicas: -3\n", dryRun: true);
        Assert.True(bad.Status == HttpStatusCode.BadRequest, $"dry run of an invalid spec: {bad}");

        Assert.Null(await _crane.Api.GetWorkloadAsync(name));
        Assert.Empty(await DockerCli.WorkloadContainersAsync(_crane.TestId, name));
    }

    [Fact]
    public async Task Scale_WithABadBody_Is400AndLeavesTheReplicaCountAlone()
    {
        var name = Specs.UniqueName("scale-bad");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            string[] bodies = ["", "{}", "{\"replicas\": \"two\"}", "{\"replicas\": -1}", "{\"replicas\": 1.5}", "not json",
                "[2]", "{\"replicas\": 2, \"extra\": true}", "{\"replicas\": 100000}"];
            foreach (var body in bodies)
            {
                var response = await _crane.Api.ScaleRawAsync(name, body);
                Assert.True(response.Status == HttpStatusCode.BadRequest, $"scale body '{body}' should be 400: {response}");
                Assert.False(string.IsNullOrWhiteSpace(response.Json.GetProperty("error").GetString()), $"scale body '{body}': {response}");
            }

            var workload = await _crane.Api.GetExistingWorkloadAsync(name);
            Assert.Equal(1, workload.DesiredReplicas);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Operations_OnAnUnknownWorkload_Are404()
    {
        var name = Specs.UniqueName("nobody");
        Assert.Equal(HttpStatusCode.NotFound, (await _crane.Api.GetWorkloadRawAsync(name)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _crane.Api.ScaleAsync(name, 2)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _crane.Api.RestartAsync(name)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _crane.Api.DeleteAsync(name)).Status);
        Assert.Null(await _crane.Api.GetWorkloadAsync(name));
    }

    [Fact]
    public async Task A_huge_body_is_refused_with_a_clear_error_and_the_seed_keeps_answering()
    {
        // Under the 1 MiB body limit the parser refuses: 900 KB of one deeply nested flow sequence, then of one long scalar.
        foreach (var body in new[] { "name: huge\nimage: " + new string('[', 900_000), "name: huge\nimage: x\nenv: {A: \"" + new string('a', 900_000) + "\"}\nfoo: 1\n" })
        {
            var response = await _crane.Api.ApplyAsync(body);

            Assert.Equal(HttpStatusCode.BadRequest, response.Status);
            Assert.False(string.IsNullOrWhiteSpace(response.Json.GetProperty("error").GetString()));
        }

        // Over it (4 MB), the body is not even read: 413.
        var tooLarge = await _crane.Api.ApplyAsync("name: huge\nimage: x\nenv: {A: \"" + new string('a', 4_000_000) + "\"}\n");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Contains("at most 1048576", tooLarge.Json.GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Null(await _crane.Api.GetWorkloadAsync("huge"));
        Assert.Equal(HttpStatusCode.OK, (await _crane.Api.SendAsync(HttpMethod.Get, "/healthz")).Status);
    }
}
