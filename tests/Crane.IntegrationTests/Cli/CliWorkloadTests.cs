using System.Text.Json;

namespace Crane.IntegrationTests.Cli;

/// <summary>apply, get workloads, describe, scale, restart, rebalance and delete through the built crane binary against the shared seed.</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class CliWorkloadTests(SharedCraneFixture fixture) : IDisposable
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
    public async Task Apply_creates_a_workload_that_get_shows_then_reapply_is_unchanged_and_delete_removes_it()
    {
        var name = Specs.UniqueName("cli-apply");
        var file = Write("web.yaml", Specs.Demo(name, 1));
        try
        {
            var created = await _cli.RunAsync("apply", "-f", file);
            Assert.True(created.ExitCode == 0, created.Stderr);
            Assert.Contains($"workload/{name} created", created.Stdout);

            var json = await _cli.OkAsync("get", "workloads", "-o", "json");
            using (var list = JsonDocument.Parse(json))
                Assert.Contains(list.RootElement.EnumerateArray(), w => w.GetProperty("name").GetString() == name);

            var again = await _cli.OkAsync("apply", "-f", file);
            Assert.Contains($"workload/{name} unchanged", again);

            var table = await _cli.OkAsync("get", "workloads");
            Assert.Matches(@"^NAME\s+READY\s+DESIRED\s+IMAGE\s+AUTOSCALER", table);
            Assert.Contains(table.Split('\n'), line => line.StartsWith(name + " ", StringComparison.Ordinal) && line.Contains(DockerCli.DemoImage, StringComparison.Ordinal));

            var yaml = await _cli.OkAsync("get", "workload", name, "-o", "yaml");
            Assert.Contains($"name: {name}", yaml);
            Assert.Contains("desiredReplicas: 1", yaml);

            var deleted = await _cli.OkAsync("delete", name);
            Assert.Contains($"workload/{name} deleted", deleted);
            var gone = await _cli.RunAsync("get", "workload", name);
            Assert.Equal(1, gone.ExitCode);
            Assert.Contains($"error: workload '{name}' not found", gone.Stderr);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Apply_reads_stdin_and_a_dry_run_creates_nothing()
    {
        var name = Specs.UniqueName("cli-dry");
        try
        {
            var result = await _cli.RunAsync(["apply", "-f", "-", "--dry-run"], stdin: Specs.Demo(name, 1));

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains($"workload/{name} would be created (dry run)", result.Stdout);
            Assert.Null(await _crane.Api.GetWorkloadAsync(name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Apply_of_an_invalid_spec_exits_1_with_the_field_and_its_line_in_the_file()
    {
        var good = Specs.UniqueName("cli-good");
        var bad = Specs.UniqueName("cli-bad");
        // Two documents: the line reported for the second one must be its line in the file, not in the document.
        var text = Specs.Demo(good, 0) + "---\n" + $"name: {bad}\nimage: {DockerCli.DemoImage}\nresources: {{cpu: 0.1, memory: 12Qi}}\n";
        var badLine = text.Split('\n').ToList().FindIndex(l => l.Contains("12Qi", StringComparison.Ordinal)) + 1;
        var file = Write("two.yaml", text);
        try
        {
            var result = await _cli.RunAsync("apply", "-f", file);

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"workload/{good} created", result.Stdout);
            Assert.Contains("error: resources.memory '12Qi' is not a memory quantity", result.Stderr);
            Assert.Contains("field: resources.memory", result.Stderr);
            Assert.Contains($"line {badLine}, column ", result.Stderr);
            Assert.Contains(file, result.Stderr);
            Assert.Null(await _crane.Api.GetWorkloadAsync(bad));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, good);
            await Converge.DeleteQuietlyAsync(_crane, bad);
        }
    }

    [Fact]
    public async Task Apply_denied_by_a_policy_exits_1_and_names_the_violation()
    {
        var name = Specs.UniqueName("cli-denied");
        var policy = Specs.UniqueName("cli-pol");
        var rego = $$"""
            package crane.admission

            import rego.v1

            deny contains sprintf("%s may not run", [input.workload.name]) if input.workload.name == "{{name}}"
            """;
        Assert.Equal(0, (await _cli.RunAsync(["policy", "load", policy, "-f", "-"], stdin: rego)).ExitCode);
        try
        {
            var result = await _cli.RunAsync(["apply", "-f", "-"], stdin: Specs.Demo(name, 1));

            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"error: denied by policy: {name} may not run", result.Stderr);
            Assert.Contains($"violation: {policy}: {name} may not run", result.Stderr);
            Assert.Null(await _crane.Api.GetWorkloadAsync(name));
        }
        finally
        {
            await _crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{policy}");
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Describe_workload_shows_the_spec_its_replicas_with_node_and_state_and_its_events()
    {
        var name = Specs.UniqueName("cli-desc");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            var replica = ready.Replicas[0].Id;
            await Wait.Until(async () => (await _crane.Api.EventsAsync($"?workload={name}&reason=Ready")).Count > 0, Wait.Converge, $"no Ready event for {name}");

            var text = await _cli.OkAsync("describe", "workload", name);

            Assert.Contains($"Name:", text);
            Assert.Contains(DockerCli.DemoImage, text);
            Assert.Contains("1 desired, 1 current, 1 ready", text);
            Assert.Contains("readiness: http GET /ready", text);
            Assert.Contains("Load balancer:", text);
            Assert.Contains(text.Split('\n'), l => l.Contains(replica, StringComparison.Ordinal) && l.Contains(_crane.NodeName, StringComparison.Ordinal) &&
                                                 l.Contains("Running", StringComparison.Ordinal) && l.Contains("true", StringComparison.Ordinal));
            var events = text[text.IndexOf("Events", StringComparison.Ordinal)..];
            Assert.Contains($"Applied", events);
            Assert.Contains($"replica/{replica}", events);

            var missing = await _cli.RunAsync("describe", "workload", name + "-nope");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("not found", missing.Stderr);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Scale_changes_the_desired_replicas_and_bad_counts_exit_1_or_2()
    {
        var name = Specs.UniqueName("cli-scale");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));

            Assert.Contains($"workload/{name} scaled to 2", await _cli.OkAsync("scale", name, "--replicas", "2"));
            Assert.Equal(2, (await _crane.Api.GetExistingWorkloadAsync(name)).DesiredReplicas);
            using (var json = JsonDocument.Parse(await _cli.OkAsync("get", "workload", name, "-o", "json")))
                Assert.Equal(2, json.RootElement.GetProperty("desiredReplicas").GetInt32());

            var negative = await _cli.RunAsync("scale", name, "--replicas", "-1");
            Assert.Equal(1, negative.ExitCode);
            Assert.Contains("error: replicas must be between 0 and", negative.Stderr);

            var notANumber = await _cli.RunAsync("scale", name, "--replicas", "two");
            Assert.Equal(2, notANumber.ExitCode);

            var missing = await _cli.RunAsync("scale", name + "-nope", "--replicas", "1");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("not found", missing.Stderr);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Restart_bumps_the_generation_and_rebalance_is_accepted()
    {
        var name = Specs.UniqueName("cli-restart");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var before = (await _crane.Api.GetExistingWorkloadAsync(name)).Generation;

            var restarted = await _cli.OkAsync("restart", name);

            Assert.Contains($"workload/{name} restarting (generation {before + 1})", restarted);
            Assert.Equal(before + 1, (await _crane.Api.GetExistingWorkloadAsync(name)).Generation);

            Assert.Contains($"workload/{name} rebalancing", await _cli.OkAsync("rebalance", name));
            Assert.Equal(1, (await _cli.RunAsync("restart", name + "-nope")).ExitCode);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Delete_of_a_missing_workload_exits_1_with_a_clear_error()
    {
        var name = Specs.UniqueName("cli-missing");

        var result = await _cli.RunAsync("delete", name);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: workload '{name}' not found", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
