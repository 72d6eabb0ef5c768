using System.Globalization;
using System.Text;
using Nimmerverse.Testing;

using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Nyx.Tests;

/// <summary>
/// The order in which one model serves queued requests, read from each answer's
/// <c>x-nyx-served</c> (its place in the model's service order): by arrival under first come, first
/// served; by (priority, arrival), lower first, under priority scheduling, as vLLM orders them.
/// </summary>
[Category(TestTier.Integration)]
public sealed class SchedulingTests
{
    /// <summary>One model with room for the long generation (2,000 tokens take the tiny model a few seconds, far more under load).</summary>
    private static readonly (string, string)[] LongContext =
        [("NIMMERVERSE_NYX__MODELS__0__NAME", "nyx"), ("NIMMERVERSE_NYX__MODELS__0__PATH", "models/stories260K.gguf"), ("NIMMERVERSE_NYX__MODELS__0__CONTEXTSIZE", "2048")];

    private static StringContent Body(int maxTokens, int? priority = null, bool ignoreEos = false) => new(
        $$"""{"model": "nyx", "messages": [{"role": "user", "content": "Lily went to the park."}], "max_tokens": {{maxTokens}}{{(priority is { } p ? $", \"priority\": {p}" : "")}}{{(ignoreEos ? ", \"ignore_eos\": true" : "")}}}""",
        Encoding.UTF8, "application/json");

    /// <summary>
    /// Occupies the model with a long generation (vLLM's <c>ignore_eos</c>: it cannot end early), then
    /// queues one request per priority, in a known arrival order; returns each
    /// queued request's place in the service order, in arrival order.
    /// </summary>
    private static async Task<long[]> ServiceOrderAsync(NyxServer server, IReadOnlyList<int?> priorities)
    {
        var url = new Uri(server.Url, "/v1/chat/completions");
        using var longOne = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent("""{"model": "nyx", "messages": [{"role": "user", "content": "Once"}], "max_tokens": 2000, "ignore_eos": true, "stream": true}""", Encoding.UTF8, "application/json"),
        };
        var blocker = await server.Http.SendAsync(longOne, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(Served(blocker), Is.EqualTo(1), "the long one is being generated");

        // One at a time, each sent once the one before is waiting in the queue (/metrics), so the
        // arrival order is the sending order however busy the machine is.
        var queued = new List<Task<HttpResponseMessage>>();
        foreach (var priority in priorities)
        {
            queued.Add(server.Http.PostAsync(url, Body(2, priority)));
            var waiting = queued.Count;
            Assert.That(await Eventually.TrueAsync(async () => await WaitingAsync(server) == waiting, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20)), Is.True, $"{waiting} requests waiting");
        }

        var answers = await Task.WhenAll(queued);
        await blocker.Content.ReadAsStringAsync(); // the long one to its end
        blocker.Dispose();
        return [.. answers.Select(Served)];
    }

    private static async Task<int> WaitingAsync(NyxServer server)
    {
        var metrics = await server.Http.GetStringAsync(new Uri(server.Url, "/metrics"));
        var line = metrics.Split('\n').Single(l => l.StartsWith("nyx_num_requests_waiting{model_name=\"nyx\"}", StringComparison.Ordinal));
        return int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private static long Served(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
        }

        return long.Parse(response.Headers.GetValues("x-nyx-served").Single(), CultureInfo.InvariantCulture);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Priority_scheduling_serves_lower_values_first_and_equal_ones_by_arrival()
    {
        await using var server = await NyxServer.StartAsync([("NIMMERVERSE_NYX__SCHEDULING", "priority"), .. LongContext]);
        int?[] priorities = [5, 1, 3, 0, 1, 10];

        var order = await ServiceOrderAsync(server, priorities);

        // Expected places (2 is the first after the long one): 0 → 2, the first 1 → 3, the second 1 → 4, 3 → 5, 5 → 6, 10 → 7.
        Assert.That(order, Is.EqualTo(new long[] { 6, 3, 5, 2, 4, 7 }), server.Log);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task First_come_first_served_serves_by_arrival()
    {
        await using var server = await NyxServer.StartAsync(LongContext);

        var order = await ServiceOrderAsync(server, [null, null, null, null]);

        Assert.That(order, Is.EqualTo(new long[] { 2, 3, 4, 5 }), server.Log);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_paced_model_gives_no_token_sooner_than_its_pace_so_one_call_holds_the_next_that_long()
    {
        await using var server = await NyxServer.StartAsync([("NIMMERVERSE_NYX__MINTOKENMILLISECONDS", "100"), .. LongContext]);
        var url = new Uri(server.Url, "/v1/chat/completions");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Ten tokens each that cannot end early, two at once on one model: at 100 ms a token, two seconds at the least.
        var answers = await Task.WhenAll(server.Http.PostAsync(url, Body(10, ignoreEos: true)), server.Http.PostAsync(url, Body(10, ignoreEos: true)));
        var elapsed = clock.Elapsed;

        var tokens = new List<int>();
        foreach (var answer in answers)
        {
            using var json = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            tokens.Add(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        Assert.Multiple(() =>
        {
            Assert.That(tokens, Is.EqualTo(new[] { 10, 10 }), server.Log);
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(2)), "the second waited for the first's ten paced tokens, then made its own");
        });
    }
}
