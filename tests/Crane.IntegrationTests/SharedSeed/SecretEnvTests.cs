using System.Net;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed class SecretEnvTests(SharedCraneFixture fixture)
{
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Secret_env_values_reach_the_container_but_never_the_api_or_the_events()
    {
        var name = Specs.UniqueName("secrets");
        var env = new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2-pw", ["LICENSE"] = "lic-4711", ["API_URL"] = "http://api.local" };
        var spec = Specs.Demo(name, 1, env: env) + "secretEnv: [LICENSE]\n";
        try
        {
            var applied = await _crane.Api.ApplyAsync(spec);
            Assert.True(applied.Status == HttpStatusCode.Created, applied.ToString());
            var workload = await Converge.AllReadyAsync(_crane, name, 1);

            var views = new[] { applied.Body, (await _crane.Api.GetWorkloadRawAsync(name)).Body, (await _crane.Api.SendAsync(HttpMethod.Get, "/api/v1/workloads")).Body,
                (await _crane.Api.ApplyAsync(spec, dryRun: true)).Body, (await _crane.Api.SendAsync(HttpMethod.Get, $"/api/v1/events?workload={name}")).Body };
            foreach (var body in views)
            {
                Assert.DoesNotContain("hunter2-pw", body, StringComparison.Ordinal);
                Assert.DoesNotContain("lic-4711", body, StringComparison.Ordinal);
            }

            Assert.Contains("\"DB_PASSWORD\":\"<redacted>\"", views[1], StringComparison.Ordinal);
            Assert.Contains("\"LICENSE\":\"<redacted>\"", views[1], StringComparison.Ordinal);
            Assert.Contains("http://api.local", views[1], StringComparison.Ordinal);

            // The container itself gets the real values.
            var inspect = await DockerCli.InspectAsync(workload.Replicas[0].ContainerId!);
            var containerEnv = inspect.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("DB_PASSWORD=hunter2-pw", containerEnv);
            Assert.Contains("LICENSE=lic-4711", containerEnv);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }
}
