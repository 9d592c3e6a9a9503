using System.Net;
using Crane.IntegrationTests;

namespace Crane.UiTests;

/// <summary>POST /api/v1/workloads/{name}/replicas/{id}/break: what it refuses, and that it reaches the replica.</summary>
[Collection(DashboardCollection.Name)]
public sealed class BreakEndpointTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task BreakRefusesUnknownWorkloadReplicaAndSwitchAndRecovers()
    {
        var api = dashboard.Crane.Api;
        var name = Specs.UniqueName("ui-api");
        try
        {
            await api.ApplyOkAsync(Specs.Demo(name, replicas: 1));
            var replica = (await Converge.AllReadyAsync(dashboard.Crane, name, 1)).Replicas.Single();
            var path = $"/api/v1/workloads/{name}/replicas/{replica.Id}/break";

            await AssertStatus(HttpStatusCode.NotFound, $"/api/v1/workloads/{name}x/replicas/{replica.Id}/break", """{"switch":"ready"}""");
            await AssertStatus(HttpStatusCode.NotFound, $"/api/v1/workloads/{name}/replicas/nope/break", """{"switch":"ready"}""");
            await AssertStatus(HttpStatusCode.BadRequest, path, """{"switch":"explode"}""");
            await AssertStatus(HttpStatusCode.BadRequest, path, """{"replicas":1}""");
            await AssertStatus(HttpStatusCode.BadRequest, path, "not json");

            await AssertStatus(HttpStatusCode.OK, path, """{"switch":"health"}""");
            Assert.Equal(HttpStatusCode.InternalServerError, (await Loopback.GetAsync(replica.HostPort!.Value, "/health")).Status);
            await AssertStatus(HttpStatusCode.OK, path, """{"switch":"recover"}""");
            Assert.Equal(HttpStatusCode.OK, (await Loopback.GetAsync(replica.HostPort!.Value, "/health")).Status);

            await Wait.Until(
                () => api.EventsAsync($"?workload={name}&reason=FaultInjected"),
                events => events.Any(e => e.Message.Contains(replica.Id, StringComparison.Ordinal) && e.Message.Contains("'health'", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(15),
                $"no FaultInjected event for replica {replica.Id}",
                events => string.Join("; ", events.Select(e => e.Describe())));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(dashboard.Crane, name);
        }

        async Task AssertStatus(HttpStatusCode expected, string path, string body)
        {
            var response = await api.SendAsync(HttpMethod.Post, path, body);
            Assert.True(response.Status == expected, $"POST {path} {body}: expected {(int)expected}, got {response}");
            if (expected != HttpStatusCode.OK)
                Assert.Contains("\"error\"", response.Body, StringComparison.Ordinal);
        }
    }
}
