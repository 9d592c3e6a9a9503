using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class SignInTests(DashboardFixture dashboard)
{
    [Fact]
    public Task Without_a_token_the_dashboard_asks_for_one_and_a_wrong_one_is_refused_before_the_right_one_loads_the_cluster() =>
        dashboard.WithSignedOutPageAsync(async page =>
        {
            var dialog = page.Locator("#signin");
            await Expect(dialog).ToBeVisibleAsync();
            await Expect(page.Locator("#members tbody tr")).ToHaveCountAsync(0);

            await page.Locator("#signin-token").FillAsync("not-the-token");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            // The API answers 401 and the dialog comes back with its message.
            await Expect(page.Locator("#signin-error")).ToContainTextAsync("not valid", new() { Timeout = 15_000 });
            await Expect(dialog).ToBeVisibleAsync();

            await page.Locator("#signin-token").FillAsync(dashboard.Crane.Api.Token!);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.Locator("#members tbody tr")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        });
}
