using System.Diagnostics;

namespace Nimmerverse.Organs.Http;

/// <summary>The organ's backend, loaded, and the one lane every request goes through.</summary>
public sealed class LoadedOrgan(IDisposable backend, TimeSpan loadTime) : IDisposable
{
    private readonly SemaphoreSlim _lane = new(1, 1);
    private long _served;

    public IDisposable Backend { get; } = backend;

    public TimeSpan LoadTime { get; } = loadTime;

    /// <summary>Requests the backend answered since load (refused input not counted).</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Loads the organ's backend, timing it.</summary>
    public static LoadedOrgan Load(OrganSettings settings)
    {
        var started = Stopwatch.GetTimestamp();
        IDisposable backend = settings.Organ switch
        {
            Protocol.OrganNames.TextToSpeech => settings.CreateSpeaker(),
            Protocol.OrganNames.SpeechToText => settings.CreateTranscriber(),
            Protocol.OrganNames.Vision => settings.CreateVision(),
            _ => throw new ArgumentException($"no organ '{settings.Organ}'", nameof(settings)),
        };
        return new LoadedOrgan(backend, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Runs one request on the backend, after the ones before it.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellation)
    {
        await _lane.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var result = work();
            Interlocked.Increment(ref _served);
            return result;
        }
        finally
        {
            _lane.Release();
        }
    }

    public void Dispose()
    {
        Backend.Dispose();
        _lane.Dispose();
    }
}
