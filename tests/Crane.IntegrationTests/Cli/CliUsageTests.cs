namespace Crane.IntegrationTests.Cli;

/// <summary>The exit-code contract where no server is needed: 2 for usage errors, 3 when the server cannot be reached.</summary>
public sealed class CliUsageTests
{
    [Fact]
    public async Task An_unreachable_server_exits_3_and_names_the_url()
    {
        var result = await CraneCli.Bare.RunAsync("--server", "http://127.0.0.1:1", "get", "nodes");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("cannot reach the Crane server at http://127.0.0.1:1", result.Stderr);
        Assert.Contains("connection refused", result.Stderr);
    }

    [Fact]
    public async Task An_unknown_command_or_flag_exits_2()
    {
        var command = await CraneCli.Bare.RunAsync("frobnicate");
        Assert.Equal(2, command.ExitCode);
        Assert.Contains("frobnicate", command.Stderr);

        var flag = await CraneCli.Bare.RunAsync("get", "nodes", "--frobnicate");
        Assert.Equal(2, flag.ExitCode);
        Assert.Contains("--frobnicate", flag.Stderr);

        var format = await CraneCli.Bare.RunAsync("get", "nodes", "-o", "xml");
        Assert.Equal(2, format.ExitCode);

        var missing = await CraneCli.Bare.RunAsync("scale", "web");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--replicas", missing.Stderr);
    }

    [Fact]
    public async Task A_missing_file_or_a_bad_server_url_exits_2_before_anything_is_sent()
    {
        var file = await CraneCli.Bare.RunAsync("--server", "http://127.0.0.1:1", "apply", "-f", "/nonexistent/crane-spec.yaml");
        Assert.Equal(2, file.ExitCode);
        Assert.Contains("error: /nonexistent/crane-spec.yaml does not exist", file.Stderr);

        var url = await CraneCli.Bare.RunAsync("--server", "ftp://127.0.0.1:1", "get", "nodes");
        Assert.Equal(2, url.ExitCode);
        Assert.Contains("ftp://127.0.0.1:1", url.Stderr);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_exits_0()
    {
        var help = await CraneCli.Bare.RunAsync("--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "apply", "get", "describe", "scale", "restart", "delete", "events", "policy", "rules", "cluster", "cordon", "uncordon", "drain" })
            Assert.Matches($@"(?m)^\s+{command}\b", help.Stdout);
    }
}

/// <summary>CRANE_SERVER against the shared seed.</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class CliServerSelectionTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task The_CRANE_SERVER_variable_is_honoured_and_server_flag_overrides_it()
    {
        var url = _crane.Api.BaseAddress.ToString().TrimEnd('/');

        var token = _crane.Api.Token!;
        var viaEnv = await CraneCli.Bare.RunAsync(["get", "nodes"], env: new Dictionary<string, string> { ["CRANE_SERVER"] = url, ["CRANE_TOKEN"] = token });
        Assert.True(viaEnv.ExitCode == 0, viaEnv.Stderr);
        Assert.Contains(_crane.NodeName, viaEnv.Stdout);

        var unreachableEnv = await CraneCli.Bare.RunAsync(["get", "nodes"], env: new Dictionary<string, string> { ["CRANE_SERVER"] = "http://127.0.0.1:1" });
        Assert.Equal(3, unreachableEnv.ExitCode);
        Assert.Contains("http://127.0.0.1:1", unreachableEnv.Stderr);

        var flagWins = await CraneCli.Bare.RunAsync(["--server", url, "get", "nodes"],
            env: new Dictionary<string, string> { ["CRANE_SERVER"] = "http://127.0.0.1:1", ["CRANE_TOKEN"] = token });
        Assert.True(flagWins.ExitCode == 0, flagWins.Stderr);
        Assert.Contains(_crane.NodeName, flagWins.Stdout);
    }

    [Fact]
    public async Task The_token_comes_from_the_flag_else_CRANE_TOKEN_else_the_config_file_and_without_one_the_server_says_no()
    {
        var url = _crane.Api.BaseAddress.ToString().TrimEnd('/');
        var token = _crane.Api.Token!;

        var none = await CraneCli.Bare.RunAsync(["--server", url, "get", "nodes"]);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("bearer token", none.Stderr, StringComparison.Ordinal);
        Assert.Contains("hint: export CRANE_TOKEN", none.Stderr, StringComparison.Ordinal);

        var home = Directory.CreateTempSubdirectory("crane-cli-config-").FullName;
        Directory.CreateDirectory(Path.Combine(home, ".crane"));
        await File.WriteAllTextAsync(Path.Combine(home, ".crane", "config"), $"# written by a test\nserver: {url}\ntoken: {token}\n");
        var fromConfig = await CraneCli.Bare.RunAsync(["get", "nodes"], env: new Dictionary<string, string> { ["HOME"] = home });
        Assert.True(fromConfig.ExitCode == 0, fromConfig.Stderr);
        Assert.Contains(_crane.NodeName, fromConfig.Stdout);

        var wrongEnv = await CraneCli.Bare.RunAsync(["--server", url, "get", "nodes"], env: new Dictionary<string, string> { ["HOME"] = home, ["CRANE_TOKEN"] = "wrong" });
        Assert.Equal(1, wrongEnv.ExitCode);
        Assert.Contains("not valid", wrongEnv.Stderr, StringComparison.Ordinal);

        var flagWins = await CraneCli.Bare.RunAsync(["--server", url, "--token", token, "get", "nodes"], env: new Dictionary<string, string> { ["CRANE_TOKEN"] = "wrong" });
        Assert.True(flagWins.ExitCode == 0, flagWins.Stderr);
    }
}
