namespace Crane.IntegrationTests.Cli;

/// <summary>The built `crane` binary evaluating local Rego files, as `opa eval` does.</summary>
public sealed class CliPolicyEvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crane-cli-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Policy_eval_prints_the_bindings_of_the_query()
    {
        var policy = Write("limits.rego", """
            package crane.admission

            import rego.v1

            deny contains sprintf("%s is too big", [input.workload.name]) if input.workload.resources.memory > 100
            """);
        var input = Write("input.json", """{"workload": {"name": "web", "resources": {"memory": 500}}}""");

        var result = await ProcessRunner.RunAsync(RepoPaths.CliBinary, ["policy", "eval", "-d", policy, "-i", input, "x := data.crane.admission.deny"], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("\"web is too big\"", result.Stdout);
    }

    [Fact]
    public async Task Policy_eval_reports_a_parse_error_with_file_line_and_column_and_exit_code_1()
    {
        var policy = Write("broken.rego", "package x\n\nbroken :=\n");

        var result = await ProcessRunner.RunAsync(RepoPaths.CliBinary, ["policy", "eval", "-d", policy, "data.x"], TimeSpan.FromSeconds(30));

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"broken\.rego:\d+:\d+: rego_parse_error", result.Stderr);
    }

    [Fact]
    public async Task Policy_eval_without_its_arguments_is_a_usage_error()
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.CliBinary, ["policy", "eval"], TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--data", result.Stderr + result.Stdout);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
