using System.Net;
using System.Text.Json;
using Nimmerverse.Testing;

namespace Nimmerverse.Dashboard.Tests.Live;

/// <summary>What a scraper, a load balancer and the operator's own curl see: metrics, health, and a feed that costs nothing unwatched.</summary>
[Category(TestTier.Integration)]
[NonParallelizable]
public sealed class MetricsAndHealthTests
{
    private static HttpClient Http => LiveOrganism.Supervisor.Http;

    private static async Task<PrometheusText> ScrapeAsync()
    {
        using var answer = await Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        return PrometheusText.Parse(await answer.Content.ReadAsStringAsync());
    }

    private static async Task<double> ListeningAsync() => (await ScrapeAsync()).Family("nimmerverse_dashboard_listening").Single().Value;

    private static async Task<IReadOnlyList<string>> SubscribersAsync()
    {
        var status = await LiveOrganism.Supervisor.StatusAsync();
        return [.. status.GetProperty("nats").GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("actor").GetString()!)];
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Metrics_are_Prometheus_text_with_the_organisms_counts()
    {
        var metrics = await ScrapeAsync();

        Assert.That(metrics.Family("nimmerverse_nats_received").Single().Value, Is.GreaterThan(0));
        Assert.That(metrics.Types.Keys.Where(k => k.StartsWith("nimmerverse_nats_received", StringComparison.Ordinal)).Select(k => metrics.Types[k]), Is.EqualTo(new[] { "counter" }));
        var rates = metrics.Family("nimmerverse_npc_measured_rate");
        Assert.That(rates.Select(r => r.Labels["npc"]).Distinct().Count(), Is.EqualTo(LiveOrganism.Npcs), "a measured tick rate per NPC");
        Assert.That(rates.Where(r => r.Value > 0).Count(), Is.EqualTo(LiveOrganism.Npcs), "every brain ticks");
        Assert.That(metrics.Family("nimmerverse_npc_cpu").Where(c => c.Value > 0).Select(c => c.Labels["npc"]).Distinct().Count(), Is.EqualTo(LiveOrganism.Npcs));
        Assert.That(metrics.Family("nimmerverse_npc_cpu_quota").Select(q => q.Value), Has.All.InRange(5, 100), "the governor's quotas");
        Assert.That(metrics.Family("nimmerverse_governor_reward"), Has.Count.EqualTo(1));
        Assert.That(metrics.Family("nimmerverse_governor_price").Select(p => p.Value).ToList(), Has.Count.EqualTo(1).And.All.GreaterThanOrEqualTo(0), "the learned governor's price");
        Assert.That(metrics.Family("nimmerverse_governor_epoch_duration").Any(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Value > 0), Is.True, "epochs are timed");
        Assert.That(metrics.Family("nimmerverse_trails_stored").Single().Value, Is.GreaterThan(0), "decision trails reach PostgreSQL");
        Assert.That(metrics.Family("nimmerverse_organ_in_hand").Select(o => o.Labels["organ"]), Is.EquivalentTo(new[] { "vision", "speech-to-text", "text-to-speech" }));
        Assert.That(metrics.Family("process_cpu_time").Concat(metrics.Family("dotnet_process_cpu_time")), Is.Not.Empty, "the runtime's own meter");
    }

    [Test]
    public async Task Live_and_ready_say_what_they_checked()
    {
        using var live = await Http.GetAsync(new Uri("/healthz/live", UriKind.Relative));
        using var ready = await Http.GetAsync(new Uri("/healthz/ready", UriKind.Relative));

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("ready\ncluster: ok\nnats: ok\npostgresql: ok\n"));
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task The_feed_listens_only_while_someone_watches()
    {
        Assert.That(await Eventually.TrueAsync(async () => await ListeningAsync() == 0, TimeSpan.FromSeconds(20)), Is.True, "cold once nobody watched for the linger");
        Assert.That(await SubscribersAsync(), Has.None.Contains("dashboard"), "no subscription of the dashboard's while nobody watches");

        using (var stream = new HttpClient { BaseAddress = LiveOrganism.Dashboard, Timeout = Timeout.InfiniteTimeSpan })
        using (var answer = await stream.GetAsync(new Uri("/api/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            using var reader = new StreamReader(await answer.Content.ReadAsStreamAsync());
            var first = await ReadEventAsync(reader);
            Assert.That(first.GetProperty("type").GetString(), Is.EqualTo("snapshot"));
            Assert.That(await ListeningAsync(), Is.EqualTo(1));
            Assert.That(await SubscribersAsync(), Has.Some.Contains("dashboard/tap"));
            Assert.That((await ReadEventAsync(reader)).GetProperty("type").GetString(), Is.EqualTo("delta"));
        }

        Assert.That(await Eventually.TrueAsync(async () => await ListeningAsync() == 0, LiveOrganism.Linger + TimeSpan.FromSeconds(10)), Is.True, "cold again after the watcher left");
        Assert.That(await SubscribersAsync(), Has.None.Contains("dashboard"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Each_NPCs_history_is_kept_in_PostgreSQL_and_read_back_as_a_curve()
    {
        JsonElement curve = default;
        var kept = await Eventually.TrueAsync(async () =>
        {
            curve = JsonDocument.Parse(await Http.GetStringAsync(new Uri("/api/npcs/3/history?hours=1", UriKind.Relative))).RootElement.Clone();
            return curve.GetArrayLength() >= 3;
        }, TimeSpan.FromSeconds(30));

        Assert.That(kept, Is.True, $"a sample a second: {curve}");
        Assert.That(curve.EnumerateArray().Select(p => p.GetProperty("success_rate").GetDouble()), Has.All.InRange(0, 1));
        using var bad = await Http.GetAsync(new Uri("/api/npcs/3/history?hours=-1", UriKind.Relative));
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    private static async Task<JsonElement> ReadEventAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new EndOfStreamException("the stream ended");
    }
}
