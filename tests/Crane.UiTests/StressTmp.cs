using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class StressTmp(DashboardFixture dashboard)
{
    [Fact]
    public async Task ManyPages()
    {
        for (var i = 0; i < 40; i++)
        {
            var hash = (i % 3) switch { 0 => "#controls/x", 1 => "#workloads", _ => "#events" };
            await dashboard.WithPageAsync(hash, $"stress-{i % 3}", async page =>
            {
                await Expect(page.Locator(".view:not([hidden])")).ToHaveCountAsync(1, new() { Timeout = 10_000 });
                if (i % 2 == 0)
                    await page.GetByRole(AriaRole.Link, new() { Name = "Workloads", Exact = true }).ClickAsync();
            });
        }
    }
}
