namespace Crane.Runtime.Tests;

/// <summary>Gives each test its own <c>crane.test</c> label and removes every container carrying it afterwards,
/// whether the test passed or not.</summary>
public abstract class DockerTestBase(DockerFixture fixture) : IAsyncLifetime
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    protected DockerRuntime Runtime => fixture.Runtime;

    protected string TestId { get; } = Guid.NewGuid().ToString("N")[..12];

    protected IReadOnlyDictionary<string, string> TestLabels => new Dictionary<string, string>
    {
        ["crane.managed"] = "true",
        ["crane.test"] = TestId,
    };

    protected static HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    protected ContainerSpec DemoSpec(
        string suffix,
        IReadOnlyDictionary<string, string>? env = null,
        IReadOnlyDictionary<string, string>? labels = null,
        IReadOnlyList<string>? command = null,
        IReadOnlyList<string>? args = null,
        double cpu = 0,
        long memory = 0,
        string image = DockerFixture.DemoImage) =>
        new(
            $"crane-test-{TestId}-{suffix}",
            image,
            command,
            args,
            env ?? new Dictionary<string, string>(),
            TestLabels.Concat(labels ?? new Dictionary<string, string>()).ToDictionary(),
            8080,
            cpu,
            memory);

    protected static Task<HttpResponseMessage> WaitForHttpAsync(int hostPort, string path) =>
        Eventually.WaitAsync<HttpResponseMessage>(
            async () =>
            {
                var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{hostPort}{path}"));
                return response.IsSuccessStatusCode ? response : null;
            },
            Deadline,
            $"a 2xx answer from 127.0.0.1:{hostPort}{path}");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var container in await Runtime.ListAsync(TestLabels, cts.Token))
        {
            await Runtime.RemoveAsync(container.Id, TimeSpan.Zero, cts.Token);
        }
    }
}
