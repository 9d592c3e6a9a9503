namespace Crane.IntegrationTests;

public sealed class ComposeFileTests
{
    [Fact]
    public async Task The_compose_files_validate_with_docker_compose_config()
    {
        var result = await ProcessRunner.RunAsync(Path.Combine(RepoPaths.Root, "deploy", "check-compose.sh"), [], TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, $"deploy/check-compose.sh failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("docker-compose.yml is valid", result.Stdout);
    }
}
