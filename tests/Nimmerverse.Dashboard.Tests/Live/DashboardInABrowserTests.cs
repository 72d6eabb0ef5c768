using System.Text.Json;
using Microsoft.Playwright;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Dashboard.Tests.Live;

/// <summary>What a person sees in a real browser looking at the live organism.</summary>
[Category(TestTier.Integration)]
[NonParallelizable]
public sealed class DashboardInABrowserTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;

    [OneTimeSetUp]
    public async Task LaunchAsync() => (_playwright, _browser) = await Browsers.LaunchAsync();

    [OneTimeTearDown]
    public async Task CloseAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [SetUp]
    public async Task OpenAsync()
    {
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1500 } });
        await _page.GotoAsync(LiveOrganism.Dashboard.ToString());
        await WaitUntilLiveAsync(_page);
    }

    [TearDown]
    public async Task ClosePageAsync() => await _page.CloseAsync();

    [Test]
    [CancelAfter(90_000)]
    public async Task Every_NPC_has_a_row_and_the_rows_move_with_the_brains()
    {
        var rows = _page.Locator("#npc-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(LiveOrganism.Npcs, new LocatorAssertionsToHaveCountOptions { Timeout = (float)Patience.TotalMilliseconds });
        var first = _page.Locator("#npc-table tbody tr[data-npc-id='0']");
        var tickBefore = long.Parse(await first.GetAttributeAsync("data-tick") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

        await Assertions.Expect(first).Not.ToHaveAttributeAsync("data-tick", tickBefore.ToString(System.Globalization.CultureInfo.InvariantCulture), new LocatorAssertionsToHaveAttributeOptions { Timeout = 10_000 });

        Assert.That(await _page.Locator("#npc-table tbody tr[data-state='running']").CountAsync(), Is.EqualTo(LiveOrganism.Npcs));
        Assert.That(await first.Locator("td[data-field='host']").TextContentAsync(), Is.Not.EqualTo("–"), "the NPC host said it runs it");
        Assert.That(await _page.Locator("#npc-count").TextContentAsync(), Is.EqualTo($"{LiveOrganism.Npcs} heard from"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Waves_published_from_outside_open_a_gate_and_draw_on_the_oscilloscope()
    {
        const string domain = "dashboard-probe";
        await using var outside = new NatsConnection(new NatsOpts { Url = LiveOrganism.Nats.Url });
        var source = new MessageSource("probe@test", "cell", Tiers.Cells);
        using var content = JsonDocument.Parse("{}");
        for (var i = 0; i < 12; i++)
        {
            var wave = Envelopes.Of(source, new WaveBody(domain, 1.0, content.RootElement.Clone(), 0.1));
            await outside.PublishAsync("dev.nervous.cells.probe.wave", WireCodec.Default.Encode(wave));
            await Task.Delay(100);
        }

        var gate = _page.Locator($"#gate-list [data-gate='{domain}']");
        await Assertions.Expect(gate).ToHaveAttributeAsync("data-state", "open", new LocatorAssertionsToHaveAttributeOptions { Timeout = (float)Patience.TotalMilliseconds });
        await Assertions.Expect(_page.Locator("#gate-timeline li[data-state='open']").First).ToContainTextAsync(domain);
        await Assertions.Expect(_page.Locator("#scope-legend [data-wave='dashboard-probe']")).ToHaveAttributeAsync("data-domain", "nervous");
        // The gate opens after a few waves; the last ones reach the page a frame or two later.
        await _page.WaitForFunctionAsync("() => Number(document.getElementById('scope').dataset.points) >= 12", null, new PageWaitForFunctionOptions { Timeout = 10_000 });
        Assert.That(await CanvasHasInkAsync("scope"), Is.True, "the points are drawn, not only counted");

        var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "dashboard.png");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        TestContext.AddTestAttachment(screenshot, "the dashboard with a gate opened from outside");
    }

    [Test]
    public async Task The_page_speaks_the_labs_visual_language()
    {
        Assert.That(await _page.Locator("html").GetAttributeAsync("data-environment"), Is.EqualTo("dev"));
        var (background, devGreen) = await ComputedAsync("body", "background-color", "--environment-dev");
        Assert.That(background, Is.EqualTo(Rgb(devGreen)), "dev is green");
        Assert.That((await ComputedAsync("[data-domain='cognitive'] circle", "fill", "--domain-cognitive")) is var (fill, violet) && fill == Rgb(violet), "cognitive is violet");
        Assert.That((await ComputedAsync("[data-domain='organs'] circle", "fill", "--domain-organs")) is var (coral, expected) && coral == Rgb(expected), "organs are coral");
        Assert.That(await _page.EvalOnSelectorAsync<string>("line[data-direction='async']", "e => getComputedStyle(e).strokeDasharray"), Is.Not.EqualTo("none"), "async lines are dashed");
        Assert.That(await _page.EvalOnSelectorAsync<string>(".legend [data-direction='tentative']", "e => getComputedStyle(e).borderBottomStyle"), Is.EqualTo("dotted"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task An_NPCs_page_draws_its_learning_curve()
    {
        await _page.Locator("#npc-table tbody tr[data-npc-id='3'] a").ClickAsync();

        await Assertions.Expect(_page.Locator("#npc-id")).ToHaveTextAsync("3");
        await Assertions.Expect(_page.Locator("#npc-facts")).ToContainTextAsync("running on");
        await _page.WaitForFunctionAsync("() => Number(document.getElementById('curve').dataset.points) >= 1", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        Assert.That(await _page.Locator("#organism-view").IsHiddenAsync(), Is.True);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_page_whose_stream_is_refused_tries_again_and_goes_live()
    {
        // The browser gives up on a stream answered with anything but a stream (here the 503 of a full or busy feed).
        var page = await _browser.NewPageAsync();
        var requests = 0;
        await page.RouteAsync("**/api/stream", async route =>
        {
            if (Interlocked.Increment(ref requests) == 1)
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 503, Body = "32 watchers already (Dashboard:MaxWatchers)\n" });
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        try
        {
            await page.GotoAsync(LiveOrganism.Dashboard.ToString());
            await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-connection", "reconnecting");
            await WaitUntilLiveAsync(page);
            Assert.That(requests, Is.EqualTo(2), "one refused, one answered");
            await Assertions.Expect(page.Locator("#npc-table tbody tr")).ToHaveCountAsync(LiveOrganism.Npcs, new LocatorAssertionsToHaveCountOptions { Timeout = (float)Patience.TotalMilliseconds });
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>Until the page's stream is open; if it never opens, what the page said and the supervisor logged.</summary>
    private static async Task WaitUntilLiveAsync(IPage page)
    {
        try
        {
            await page.WaitForSelectorAsync("html[data-connection='live']", new PageWaitForSelectorOptions { Timeout = (float)Patience.TotalMilliseconds });
        }
        catch (TimeoutException e)
        {
            var state = await page.Locator("html").GetAttributeAsync("data-connection");
            throw new TimeoutException($"the page's stream was not live within {Patience.TotalSeconds:0} s (data-connection={state}); the supervisor's last lines:\n{string.Join('\n', LiveOrganism.Supervisor.Log.TakeLast(40))}", e);
        }
    }

    private async Task<bool> CanvasHasInkAsync(string id) =>
        await _page.EvaluateAsync<bool>($$"""
            () => {
              const canvas = document.getElementById('{{id}}');
              const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
              for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 200) return true;
              return false;
            }
            """);

    private async Task<(string Actual, string Variable)> ComputedAsync(string selector, string property, string variable)
    {
        var actual = await _page.EvalOnSelectorAsync<string>(selector, $"e => getComputedStyle(e).getPropertyValue('{property}')");
        var value = await _page.EvaluateAsync<string>($"() => getComputedStyle(document.documentElement).getPropertyValue('{variable}').trim()");
        return (actual, value);
    }

    /// <summary><c>#10301f</c> as the browser computes it: <c>rgb(16, 48, 31)</c>.</summary>
    private static string Rgb(string hex) =>
        $"rgb({Convert.ToInt32(hex[1..3], 16)}, {Convert.ToInt32(hex[3..5], 16)}, {Convert.ToInt32(hex[5..7], 16)})";
}
