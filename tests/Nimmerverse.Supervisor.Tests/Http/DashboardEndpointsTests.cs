using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Http;
using Nimmerverse.Testing;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Http;

/// <summary>
/// The dashboard's read API over real HTTP (Kestrel on loopback) in front of a feed that cannot serve: one that never
/// answers, and one too full for another watcher. Each is a 503 that says why and when to try again, never a 500.
/// </summary>
[Category(TestTier.Unit)]
public sealed class DashboardEndpointsTests
{
    /// <summary>Stands in for a stalled feed: takes every message and answers none; tells the test of each unwatch.</summary>
    private sealed class SilentFeed : ReceiveActor
    {
        public SilentFeed(TaskCompletionSource<DashboardMessages.Unwatch> unwatched)
        {
            Receive<DashboardMessages.Unwatch>(unwatch => unwatched.TrySetResult(unwatch));
            ReceiveAny(_ => { });
        }
    }

    /// <summary>Stands in for a feed that has <c>MaxWatchers</c> already: refuses every watcher, as the real one does.</summary>
    private sealed class FullFeed : ReceiveActor
    {
        public FullFeed() => Receive<DashboardMessages.Watch>(_ => Sender.Tell(new DashboardMessages.Refused("64 watchers already")));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_feed_that_does_not_answer_makes_every_call_that_asks_it_a_503_to_try_again_later()
    {
        using var system = ActorSystem.Create("dashboard-endpoints", "akka.loglevel = WARNING");
        var unwatched = new TaskCompletionSource<DashboardMessages.Unwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var api = await ServeAsync(system.ActorOf(Props.Create(() => new SilentFeed(unwatched))));

        var answers = await Task.WhenAll(new[] { "/api/npcs", "/api/npcs/3", "/api/gates", "/api/stream" }.Select(api.GetAsync));
        foreach (var answer in answers)
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Multiple(() =>
            {
                Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), answer.RequestMessage!.RequestUri!.PathAndQuery);
                Assert.That(answer.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(DashboardEndpoints.RetryAfterSeconds)));
                Assert.That(body, Is.EqualTo($"the dashboard feed did not answer within {DashboardEndpoints.AskTimeout.TotalSeconds:0} s\n"));
            });
        }

        var unwatch = await unwatched.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(unwatch.Watcher, Is.Not.Null, "the stream told the feed to drop its watcher, in case it takes it late");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_full_feed_refuses_the_stream_with_a_503_that_names_why()
    {
        using var system = ActorSystem.Create("dashboard-endpoints", "akka.loglevel = WARNING");
        await using var api = await ServeAsync(system.ActorOf(Props.Create(() => new FullFeed())));

        using var answer = await api.GetAsync("/api/stream");
        var body = await answer.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(answer.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(DashboardEndpoints.RetryAfterSeconds)));
            Assert.That(body, Is.EqualTo("64 watchers already\n"));
        });
    }

    /// <summary>The dashboard's endpoints on a loopback port, with <paramref name="feed"/> as the dashboard feed.</summary>
    private static async Task<Api> ServeAsync(IActorRef feed)
    {
        var registry = new ActorRegistry();
        registry.Register<DashboardFeedActor>(feed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(new NimmerverseOptions());
        // The history endpoint's store, never called here: the data source connects on first use.
        builder.Services.AddSingleton(new Supervisor.Persistence.PostgresNpcSamples(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1")));
        var app = builder.Build();
        app.MapDashboardEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Api(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) });
    }

    private sealed record Api(WebApplication App, HttpClient Client) : IAsyncDisposable
    {
        public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(path);

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.DisposeAsync();
        }
    }
}
