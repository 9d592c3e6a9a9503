using Crane.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class ClusterViewTests(DashboardFixture dashboard)
{
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 15_000 };

    [Fact]
    public Task ClusterViewShowsTheMemberWithItsNodeAndCapacity() =>
        dashboard.WithPageAsync("#cluster", "cluster", async page =>
        {
            var crane = dashboard.Crane;
            var member = page.Locator("#members tbody tr");
            await Expect(member).ToHaveCountAsync(1);
            await Expect(member.Locator("td.node")).ToHaveTextAsync(crane.NodeName, new() { Timeout = 15_000 });
            await Expect(member).ToContainTextAsync($"127.0.0.1:{crane.AkkaPort}", Soon);
            await Expect(member).ToContainTextAsync("control", Soon);
            await Expect(member).ToContainTextAsync("worker", Soon);
            await Expect(member).ToContainTextAsync("Up", Soon);
            await Expect(member).ToContainTextAsync("leader", Soon);
            await Expect(member).ToContainTextAsync("scheduler", Soon);

            // The seed runs with --capacity-cpu 2 --capacity-memory 4Gi.
            var node = page.Locator($"#nodes [data-node='{crane.NodeName}']");
            await Expect(node).ToContainTextAsync("Ready", Soon);
            await Expect(node.GetByRole(AriaRole.Meter, new() { Name = "CPU" })).ToBeVisibleAsync();
            await Expect(node).ToContainTextAsync("/ 2 cores allocated", Soon);
            await Expect(node).ToContainTextAsync("/ 4 GiB allocated", Soon);
        });

    [Fact]
    public Task CordonAndUncordonFromControlsShowInTheClusterView() =>
        dashboard.WithPageAsync("#controls", "controls-node", async page =>
        {
            var crane = dashboard.Crane;
            try
            {
                await page.Locator("#action-node").SelectOptionAsync(crane.NodeName);
                await page.GetByRole(AriaRole.Button, new() { Name = "Cordon", Exact = true }).ClickAsync();
                await Expect(page.Locator("#node-result")).ToHaveTextAsync($"{crane.NodeName} is Cordoned.", new() { Timeout = 15_000 });
                await page.GetByRole(AriaRole.Link, new() { Name = "Cluster", Exact = true }).ClickAsync();
                await Expect(page.Locator($"#nodes [data-node='{crane.NodeName}'] header")).ToContainTextAsync("Cordoned", Soon);

                await page.GetByRole(AriaRole.Link, new() { Name = "Controls", Exact = true }).ClickAsync();
                await page.GetByRole(AriaRole.Button, new() { Name = "Uncordon", Exact = true }).ClickAsync();
                await Expect(page.Locator("#node-result")).ToHaveTextAsync($"{crane.NodeName} is Ready.", new() { Timeout = 15_000 });
                var nodes = await crane.Api.NodesAsync();
                Assert.Equal("Ready", nodes.Single(n => n.Name == crane.NodeName).Status);
            }
            finally
            {
                await crane.Api.SendAsync(HttpMethod.Post, $"/api/v1/nodes/{crane.NodeName}/uncordon");
            }
        });
}
