using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>
/// Section <c>Nimmerverse:Dashboard</c>: how the dashboard's feed listens and what it keeps. It listens to
/// NATS and the cluster only while someone watches (or asked within <see cref="Linger"/>).
/// </summary>
public sealed record DashboardSettings : IOptionsSection
{
    /// <summary>Recent waves kept for a new watcher's oscilloscope.</summary>
    public const int WavePoints = 2000;

    /// <summary>Gate transitions kept for the timeline.</summary>
    public const int GateChanges = 200;

    /// <summary>Lifecycle events kept, all NPCs together and per NPC.</summary>
    public const int LifecycleEvents = 100;

    public const int LifecycleEventsPerNpc = 20;

    /// <summary>How often watchers are sent what changed. Default 500 ms.</summary>
    public TimeSpan FrameInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the feed keeps listening after the last watcher left or the last API call. Default 30 s.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a feed that was not listening listens before it answers an API call (NPCs report at least once a second). Default 1.5 s.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Browsers and CLI streams watching at once; one more is refused (503). Default 32.</summary>
    public int MaxWatchers { get; init; } = 32;

    /// <summary>Frames a watcher may fall behind before it is dropped (its browser reconnects and starts from a snapshot). Default 64.</summary>
    public int WatcherBuffer { get; init; } = 64;

    /// <summary>Waves one frame carries at most; more are counted as thinned, not queued. Default 500.</summary>
    public int MaxWavesPerFrame { get; init; } = 500;

    /// <summary>How often an NPC's learning curve takes a point while watched. Default 10 s.</summary>
    public TimeSpan CurveSampleEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Points kept per learning curve in memory. Default 360 (an hour at 10 s).</summary>
    public int CurvePoints { get; init; } = 360;

    /// <summary>An NPC not heard from for this long shows as <c>silent</c>. Default 5 s.</summary>
    public TimeSpan SilentAfter { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate(OptionProblems problems)
    {
        problems.AtLeast(nameof(FrameInterval), FrameInterval, TimeSpan.FromMilliseconds(50));
        problems.NotNegative(nameof(Linger), Linger);
        problems.NotNegative(nameof(WarmUp), WarmUp);
        problems.Positive(nameof(CurveSampleEvery), CurveSampleEvery);
        problems.Positive(nameof(SilentAfter), SilentAfter);
        problems.InRange(nameof(MaxWatchers), MaxWatchers, 1, 10_000);
        problems.InRange(nameof(WatcherBuffer), WatcherBuffer, 1, 10_000);
        problems.InRange(nameof(MaxWavesPerFrame), MaxWavesPerFrame, 1, 100_000);
        problems.InRange(nameof(CurvePoints), CurvePoints, 1, 100_000);
    }
}
