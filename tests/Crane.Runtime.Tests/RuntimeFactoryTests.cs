namespace Crane.Runtime.Tests;

public sealed class RuntimeFactoryTests
{
    [Theory]
    [InlineData("docker", typeof(DockerRuntime))]
    [InlineData("process", typeof(ProcessRuntime))]
    [InlineData("hollow", typeof(HollowRuntime))]
    [InlineData(" Docker ", typeof(DockerRuntime))]
    public async Task Creates_the_named_runtime(string name, Type expected)
    {
        var dataDir = Directory.CreateTempSubdirectory("crane-factory-test-").FullName;
        try
        {
            await using var runtime = RuntimeFactory.Create(name, new Uri("unix:///var/run/docker.sock"), dataDir, null);
            Assert.IsType(expected, runtime);
            Assert.Equal(name.Trim().ToLowerInvariant(), runtime.Name);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void Rejects_an_unknown_runtime()
    {
        var ex = Assert.Throws<ArgumentException>(() => RuntimeFactory.Create("podman", null, "/tmp", null));
        Assert.Contains("docker, process, hollow", ex.Message);
    }

    [Theory]
    [InlineData("node:18", "node", "18")]
    [InlineData("crane/demo", "crane/demo", "latest")]
    [InlineData("localhost:5000/team/app:v2", "localhost:5000/team/app", "v2")]
    [InlineData("localhost:5000/team/app", "localhost:5000/team/app", "latest")]
    public void Splits_image_references_into_repository_and_tag(string image, string repository, string tag)
    {
        Assert.Equal((repository, tag), DockerRuntime.SplitReference(image));
    }
}
