using Microsoft.Playwright;

namespace Nimmerverse.Dashboard.Tests;

/// <summary>
/// Debian's chromium under Playwright: Playwright cannot download a browser of its own here, so it drives the
/// one <c>./nimmerverse test</c> installs. As root it needs <c>--no-sandbox</c>.
/// </summary>
public static class Browsers
{
    public const string Chromium = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"no browser at {Chromium}: apt-get install chromium (./nimmerverse test installs it)");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        return (playwright, browser);
    }
}
