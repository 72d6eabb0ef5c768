using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Dashboard;

namespace Nimmerverse.Supervisor.Http;

/// <summary>
/// The dashboard over HTTP: the page and its assets (embedded, no internet needed), the live stream
/// (<c>/api/stream</c>, Server-Sent Events: a snapshot, then a delta per frame), and the read API the page
/// and the CLI verbs share (<c>/api/npcs</c>, <c>/api/npcs/{id}</c>, <c>/api/npcs/{id}/history</c> from PostgreSQL, <c>/api/gates</c>).
/// A feed that does not answer within <see cref="AskTimeout"/>, or one too full for another watcher, is a 503 that says
/// so and when to try again, as the CLI's exit code 69 and the page's retry read it, not a 500.
/// </summary>
public static class DashboardEndpoints
{
    public const int MaxPageSize = 500;

    /// <summary>How long a request waits for the dashboard feed's answer.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What a 503's <c>Retry-After</c> says: the page's own retry of a refused stream waits as long.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>A comment line now and then: proxies keep the stream open, and a vanished browser is noticed.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => DashboardAssets.Result("index.html"));
        endpoints.MapGet("/dashboard/{name}", (string name) => DashboardAssets.Result(name));
        var api = endpoints.MapGroup("/api").AddEndpointFilter(UnansweredFeedIsUnavailable);
        api.MapGet("/stream", StreamAsync);
        api.MapGet("/npcs", async (ActorRegistry registry, int? offset, int? limit) =>
        {
            if (offset is < 0 || limit is < 1 or > MaxPageSize)
            {
                return Results.Text($"offset must be >= 0 and limit within 1..{MaxPageSize}\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var page = await AskAsync<NpcPage>(registry, new DashboardMessages.GetNpcs(offset ?? 0, limit ?? 100)).ConfigureAwait(false);
            return Results.Json(page, DashboardJsonContext.Default.NpcPage);
        });
        api.MapGet("/npcs/{id:int}", async (ActorRegistry registry, int id) =>
            await AskAsync<object>(registry, new DashboardMessages.GetNpc(id)).ConfigureAwait(false) switch
            {
                NpcDetail detail => Results.Json(detail, DashboardJsonContext.Default.NpcDetail),
                DashboardMessages.NotFound missing => Results.Text(missing.Reason + "\n", statusCode: StatusCodes.Status404NotFound),
                var other => throw new InvalidOperationException($"the dashboard feed answered {other}"),
            });
        api.MapGet("/npcs/{id:int}/history", async (int id, double? hours, Persistence.PostgresNpcSamples samples, CancellationToken cancellationToken) =>
        {
            if (hours is <= 0 or > 24 * 366)
            {
                return Results.Text("hours must be within 0..8784\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var until = DateTimeOffset.UtcNow;
            var curve = await samples.CurveAsync(id, until - TimeSpan.FromHours(hours ?? 24), until, cancellationToken).ConfigureAwait(false);
            return Results.Json(curve, DashboardJsonContext.Default.IReadOnlyListLearningPoint);
        });
        api.MapGet("/gates", async (ActorRegistry registry) =>
            Results.Json((await AskAsync<DashboardMessages.Gates>(registry, DashboardMessages.GetGates.Instance).ConfigureAwait(false)).All, DashboardJsonContext.Default.IReadOnlyListGateRow));
        return endpoints;
    }

    private static Task<T> AskAsync<T>(ActorRegistry registry, DashboardMessages.IQuery query) =>
        registry.Get<DashboardFeedActor>().Ask<T>(query, AskTimeout);

    private static async ValueTask<object?> UnansweredFeedIsUnavailable(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            return new Unavailable($"the dashboard feed did not answer within {AskTimeout.TotalSeconds:0} s");
        }
    }

    private static async Task<IResult> StreamAsync(HttpContext http, ActorRegistry registry, NimmerverseOptions options)
    {
        var feed = registry.Get<DashboardFeedActor>();
        // Wait, not drop: a full buffer makes the feed's TryWrite fail, and the feed drops the watcher.
        var frames = Channel.CreateBounded<string>(new BoundedChannelOptions(options.Dashboard.WatcherBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var cancellationToken = http.RequestAborted;
        object answer;
        try
        {
            answer = await feed.Ask<object>(new DashboardMessages.Watch(frames.Writer), AskTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            // It may yet take the watcher: told to let go, it drops it.
            feed.Tell(new DashboardMessages.Unwatch(frames.Writer));
            throw;
        }

        if (answer is DashboardMessages.Refused refused)
        {
            return new Unavailable(refused.Reason);
        }

        try
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await http.Response.WriteAsync("retry: 2000\n\n", cancellationToken).ConfigureAwait(false);
            await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            var waiting = frames.Reader.WaitToReadAsync(cancellationToken).AsTask();
            while (true)
            {
                if (await Task.WhenAny(waiting, Task.Delay(KeepAlive, cancellationToken)).ConfigureAwait(false) != waiting)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                    await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!await waiting.ConfigureAwait(false))
                {
                    return Results.Empty; // dropped for falling behind: the browser reconnects and starts from a snapshot
                }

                while (frames.Reader.TryRead(out var frame))
                {
                    await http.Response.WriteAsync($"data: {frame}\n\n", cancellationToken).ConfigureAwait(false);
                }

                await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                waiting = frames.Reader.WaitToReadAsync(cancellationToken).AsTask();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException or IOException)
        {
            return Results.Empty; // the browser went away, or the feed dropped it
        }
        finally
        {
            feed.Tell(new DashboardMessages.Unwatch(frames.Writer));
        }
    }

    /// <summary>A 503 with its reason and <see cref="RetryAfterSeconds"/>.</summary>
    private sealed class Unavailable(string reason) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return httpContext.Response.WriteAsync(reason + "\n", httpContext.RequestAborted);
        }
    }
}
