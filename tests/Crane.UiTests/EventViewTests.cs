using System.Net;
using Crane.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class EventViewTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task EventStreamShowsAScaleMadeThroughTheApiWithoutReload()
    {
        var crane = dashboard.Crane;
        var name = Specs.UniqueName("ui-events");
        try
        {
            await crane.Api.ApplyOkAsync(Specs.Demo(name, replicas: 1));
            await Converge.AllReadyAsync(crane, name, 1);
            await dashboard.WithPageAsync("#events", "events", async page =>
            {
                await Expect(page.Locator("#live")).ToHaveTextAsync("live");
                await page.Locator("#filter-workload").FillAsync(name);
                var rows = page.Locator("#events tbody tr");
                await Expect(rows.And(page.Locator("[data-reason='Ready']")).First).ToBeVisibleAsync();
                await Expect(rows.And(page.Locator("[data-reason='ScaledUp']"))).ToHaveCountAsync(0);
                await Expect(rows.And(page.Locator($":not([data-workload='{name}'])"))).ToHaveCountAsync(0);
                await page.EvaluateAsync("() => { window.craneTestMarker = 'no reload'; }");

                var scaled = await crane.Api.ScaleAsync(name, 2);
                Assert.True(scaled.Status == HttpStatusCode.OK, $"scale: {scaled}");
                var scaledUp = rows.And(page.Locator("[data-reason='ScaledUp']"));
                await Expect(scaledUp.First).ToBeVisibleAsync(new() { Timeout = 30_000 });
                await Expect(scaledUp.First).ToContainTextAsync($"Workload/{name}");

                // The type filter narrows the rows in the page.
                await page.Locator("#filter-type").SelectOptionAsync("Warning");
                await Expect(scaledUp).ToHaveCountAsync(0);
                await page.Locator("#filter-type").SelectOptionAsync("Normal");
                await Expect(scaledUp.First).ToBeVisibleAsync();
                Assert.Equal("no reload", await page.EvaluateAsync<string?>("() => window.craneTestMarker ?? null"));
            });
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(crane, name);
        }
    }
}
