namespace Crane.IntegrationTests.Cli;

/// <summary>crane policy load/list/get/delete and crane rules get/load against the shared seed (which runs its own Prometheus).</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class CliPolicyAndRulesTests(SharedCraneFixture fixture) : IDisposable
{
    private readonly CraneProcess _crane = fixture.Crane;
    private readonly CraneCli _cli = CraneCli.For(fixture.Crane);
    private readonly string _dir = Directory.CreateTempSubdirectory("crane-cli-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Policy_load_of_a_bad_module_exits_1_with_the_line_and_stores_nothing()
    {
        var id = Specs.UniqueName("cli-badpol");
        var file = Write("broken.rego", "package crane.admission\n\ndeny contains msg if {\n  msg :=\n}\n");

        var result = await _cli.RunAsync("policy", "load", id, "-f", file);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"line 5, column", result.Stderr);
        Assert.Contains(file, result.Stderr);
        Assert.DoesNotContain(id, await _cli.OkAsync("policy", "list"));
    }

    [Fact]
    public async Task Policy_load_list_get_and_delete()
    {
        var id = Specs.UniqueName("cli-pol");
        var source = $"package crane.admission\n\nimport rego.v1\n\nwarn contains \"never\" if input.workload.name == \"{id}-nobody\"\n";
        var file = Write("warn.rego", source);
        try
        {
            Assert.Contains($"policy/{id} loaded (enforcement: warn)", await _cli.OkAsync("policy", "load", id, "-f", file, "--enforcement", "warn"));

            var list = await _cli.OkAsync("policy", "list");
            Assert.Matches(@"^ID\s+ENFORCEMENT\n", list);
            Assert.Matches($@"(?m)^{id}\s+warn$", list);

            Assert.Equal(source, await _cli.OkAsync("policy", "get", id));

            Assert.Contains($"policy/{id} deleted", await _cli.OkAsync("policy", "delete", id));
            Assert.DoesNotContain(id, await _cli.OkAsync("policy", "list", "-o", "json"));
            Assert.Equal(1, (await _cli.RunAsync("policy", "get", id)).ExitCode);

            var badMode = await _cli.RunAsync("policy", "load", id, "-f", file, "--enforcement", "maybe");
            Assert.Equal(2, badMode.ExitCode);
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
        }
    }

    [Fact]
    public async Task Rules_get_prints_the_rules_load_replaces_them_and_bad_rules_exit_1_and_keep_the_old_ones()
    {
        var shipped = Path.Combine(RepoPaths.Root, "deploy", "prometheus", "rules", "crane.rules.yml");
        try
        {
            var before = await _cli.OkAsync("rules", "get");
            Assert.Contains("groups:", before);

            var bad = Write("bad.rules.yml", "groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[1m])\n");
            var rejected = await _cli.RunAsync("rules", "load", "-f", bad);
            Assert.Equal(1, rejected.ExitCode);
            Assert.Contains("error: rules rejected by promtool, the old ones stay", rejected.Stderr);
            Assert.Equal(before, await _cli.OkAsync("rules", "get"));

            var alert = Specs.UniqueName("CliAlert").Replace("-", "", StringComparison.Ordinal);
            var good = Write("good.rules.yml", $"groups:\n  - name: cli\n    rules:\n      - alert: {alert}\n        expr: vector(1) == 0\n");
            Assert.Contains("Prometheus reloaded", await _cli.OkAsync("rules", "load", "-f", good));
            Assert.Contains(alert, await _cli.OkAsync("rules", "get"));
        }
        finally
        {
            // The shared seed keeps serving other tests: put back the rules it ships with.
            Assert.Equal(0, (await _cli.RunAsync("rules", "load", "-f", shipped)).ExitCode);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
