using System.Diagnostics;
using Crane.IntegrationTests;
using Microsoft.Playwright;

namespace Crane.UiTests;

/// <summary>
/// One real crane-seed (all-in-one, docker runtime, its own Prometheus) and one headless Chromium from apt, with a fresh
/// profile, for every dashboard test. Both are stopped, and the profile removed, in <see cref="DisposeAsync"/>.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium: Playwright's own browser download does not work here and is never used.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Long enough for a container start, a readiness probe and a 2 s poll of the page on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly string _profile = Path.Combine(Path.GetTempPath(), $"crane-ui-chromium-{Guid.NewGuid():N}");
    private CraneProcess? _crane;
    private IPlaywright? _playwright;
    private IBrowserContext? _browser;

    public CraneProcess Crane => _crane ?? throw new InvalidOperationException("crane-seed did not start");

    public static string ScreenshotDir => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: `apt-get install -y chromium` (test.sh installs it). The dashboard tests need it and never skip.");
        }

        Directory.CreateDirectory(ScreenshotDir);
        Assertions.SetDefaultExpectTimeout(15_000);
        try
        {
            _crane = await CraneProcess.StartAsync(new CraneProcessOptions { Prometheus = true });
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-proxy-server"],
                BaseURL = $"http://127.0.0.1:{_crane.HttpPort}",
                ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
            });
            // Signed in as the seed's admin, as a user who pasted the token into the sign-in dialog once per tab.
            await _browser.AddInitScriptAsync($"window.sessionStorage.setItem('crane.token', {System.Text.Json.JsonSerializer.Serialize(_crane.Api.Token)});");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens the dashboard at <paramref name="hash"/> in a new tab and runs <paramref name="test"/> on it; then saves a full-page
    /// screenshot as screenshots/<paramref name="screenshot"/>.png and fails if the page threw. A failure saves
    /// screenshots/failed-<paramref name="screenshot"/>.png and adds the page's errors and crane-seed's log tail.
    /// </summary>
    public async Task WithPageAsync(string hash, string screenshot, Func<IPage, Task> test)
    {
        var page = await (_browser ?? throw new InvalidOperationException("Chromium did not start")).NewPageAsync();
        var errors = new List<string>();
        var console = new List<string>();
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        page.Console += (_, message) => { lock (console) console.Add($"{message.Type}: {message.Text}"); };
        page.RequestFailed += (_, request) => { lock (console) console.Add($"request failed: {request.Method} {request.Url} {request.Failure}"); };
        try
        {
            await page.GotoAsync($"/{hash}");
            // app.js marks the page once every module loaded and the first view is shown. Docker adding or removing a
            // container's interface can make Chromium abort loads with ERR_NETWORK_CHANGED: then load the page once more.
            try
            {
                await Assertions.Expect(page.Locator("html[data-crane-ui='started']")).ToHaveCountAsync(1);
            }
            catch (PlaywrightException) when (NetworkChanged(console))
            {
                await page.ReloadAsync();
                await Assertions.Expect(page.Locator("html[data-crane-ui='started']")).ToHaveCountAsync(1);
            }
            await test(page);
            await ScreenshotAsync(page, screenshot);
            lock (errors)
                Assert.True(errors.Count == 0, $"the dashboard threw: {string.Join(" | ", errors)}");
        }
        catch (Exception ex) when (ex is not DashboardTestFailure)
        {
            try
            {
                await ScreenshotAsync(page, $"failed-{screenshot}");
            }
            catch (PlaywrightException)
            {
            }

            string pageErrors, consoleLines;
            lock (errors)
                pageErrors = errors.Count == 0 ? "none" : string.Join(" | ", errors);
            lock (console)
                consoleLines = console.Count == 0 ? "none" : string.Join("\n  ", console.TakeLast(20));
            throw new DashboardTestFailure(
                $"{ex.Message}\n(screenshot: {ScreenshotPath($"failed-{screenshot}")}; script errors: {pageErrors})\n" +
                $"browser console:\n  {consoleLines}\ncrane-seed log tail:\n{Crane.LogTail(30)}", ex);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>A page in a fresh browser context with no token, as a first visit: the sign-in dialog is up.</summary>
    public async Task WithSignedOutPageAsync(Func<IPage, Task> test)
    {
        await using var browser = await (_playwright ?? throw new InvalidOperationException("Playwright did not start")).Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-proxy-server"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = $"http://127.0.0.1:{Crane.HttpPort}" });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/#cluster");
        await test(page);
    }

    private static bool NetworkChanged(List<string> console)
    {
        lock (console)
            return console.Any(line => line.Contains("ERR_NETWORK_CHANGED", StringComparison.Ordinal));
    }

    public static string ScreenshotPath(string name) => Path.Combine(ScreenshotDir, $"{name}.png");

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath(name), FullPage = true });

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            try
            {
                await _browser.CloseAsync();
            }
            catch (PlaywrightException ex)
            {
                await Console.Error.WriteLineAsync($"DashboardFixture: closing Chromium failed: {ex.Message}");
            }
        }

        _playwright?.Dispose();
        if (_crane is not null)
            await _crane.DisposeAsync();
        try
        {
            if (Directory.Exists(_profile))
                Directory.Delete(_profile, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Debug.WriteLine($"profile {_profile} not removed: {ex.Message}");
        }
    }
}

public sealed class DashboardTestFailure(string message, Exception inner) : Exception(message, inner);

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
