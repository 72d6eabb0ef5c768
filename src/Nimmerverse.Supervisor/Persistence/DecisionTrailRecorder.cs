using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Actors.Configuration;
using Nimmerverse.Actors.Governor;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>How decision trails reach PostgreSQL, batched, and where they wait while it is away: section <c>Nimmerverse:Trails</c>.</summary>
public sealed record TrailRecorderSettings : IOptionsSection
{
    public static TrailRecorderSettings Default { get; } = new();

    /// <summary>
    /// The spool file (fsync'd, bounded) that keeps trails while PostgreSQL is away; a relative path is under
    /// systemd's <c>$STATE_DIRECTORY</c> (the service's is <c>/var/lib/nimmerverse</c>), else the working directory. Default <c>trails.spool</c>.
    /// </summary>
    public string SpoolPath { get; init; } = "trails.spool";

    /// <summary>The spool's bound; past it trails are lost, counted and alarmed about. Default 256.</summary>
    public double SpoolMaxMiB { get; init; } = 256;

    /// <summary>Most trails per binary COPY. Default 5000.</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>How long a short batch waits for more. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a waiting spool is tried against PostgreSQL. Default 2 s.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Trails the governor may hand over faster than they are stored; past it they are lost and counted. Default 200000.</summary>
    public int QueueCapacity { get; init; } = 200_000;

    /// <summary>
    /// How long trails, gate transitions, NPC samples, operator actions and dead letters are kept; older rows are
    /// deleted every hour. 0 keeps them forever. Default 30 days.
    /// </summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How often each host keeps a row of each of its NPCs' state, for their history. Default 10 s.</summary>
    public TimeSpan NpcSampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    public long SpoolMaxBytes => (long)Math.Round(SpoolMaxMiB * 1024 * 1024);

    public void Validate(OptionProblems problems)
    {
        if (string.IsNullOrWhiteSpace(SpoolPath))
        {
            problems.Add("SpoolPath", "must not be empty");
        }

        if (!double.IsFinite(SpoolMaxMiB) || SpoolMaxMiB is < 1 or > 1_048_576)
        {
            problems.Add("SpoolMaxMiB", $"{SpoolMaxMiB} is outside 1..1048576");
        }

        problems.InRange("BatchSize", BatchSize, 1, 100_000);

        problems.Positive("FlushInterval", FlushInterval);
        problems.NotNegative("Retention", Retention);
        if (Retention > TimeSpan.Zero && Retention < TimeSpan.FromHours(1))
        {
            problems.Add("Retention", $"{OptionProblems.Shown(Retention)} is shorter than an hour (0 keeps everything)");
        }

        problems.AtLeast("NpcSampleInterval", NpcSampleInterval, TimeSpan.FromSeconds(1));
        problems.Positive("RetryInterval", RetryInterval);
        problems.InRange("QueueCapacity", QueueCapacity, 1, 10_000_000);
    }
}

/// <summary>
/// Takes the governor's decisions without ever blocking it, batches them, and stores each batch
/// through <see cref="IDecisionTrailStore"/> (binary COPY). When a write fails, the batch goes to the
/// durable <see cref="TrailSpool"/>, and so does everything after it until the spool has been
/// replayed, so order is kept and nothing is lost; replays are retried every retry interval and
/// their duplicates (a write that reached PostgreSQL but whose answer did not) are skipped by the
/// store. Records are lost only when the spool is full (or the hand-over queue is): counted,
/// logged at Error and shown in the STATUS line.
/// </summary>
public sealed class DecisionTrailRecorder : IDecisionTrails, IAsyncDisposable
{
    private static readonly TimeSpan AlarmInterval = TimeSpan.FromMinutes(1);

    private readonly IDecisionTrailStore _store;
    private readonly TrailRecorderSettings _settings;
    private readonly ILogger _logger;
    private readonly Channel<DecisionTrail> _incoming;
    /// <summary>Opened when first needed (a failed write, or a spool left from before), so a supervisor whose database answers never touches the disk.</summary>
    private TrailSpool? _spool;
    private readonly Task _loop;
    private long _stored;
    private long _lost;
    private long _spooled;
    private DateTime _lastReplayAttempt = DateTime.MinValue;
    private readonly LogThrottle _alarms = new(AlarmInterval);
    private string? _storeError;

    public DecisionTrailRecorder(IDecisionTrailStore store, TrailRecorderSettings settings, ILogger<DecisionTrailRecorder> logger)
    {
        _store = store;
        _settings = settings;
        _logger = logger;
        _incoming = Channel.CreateBounded<DecisionTrail>(new BoundedChannelOptions(settings.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        if (new FileInfo(settings.SpoolPath) is { Exists: true, Length: > 0 })
        {
            var spool = OpenSpool();
            _logger.LogInformation("{Records} decision trails wait in {Spool} from before; they go to PostgreSQL first", spool.Records, spool.Path);
            Interlocked.Exchange(ref _spooled, spool.Records);
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>Records stored in PostgreSQL (replays included).</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Records lost because the spool or the hand-over queue was full.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Records waiting in the spool.</summary>
    public long Spooled => Interlocked.Read(ref _spooled);

    /// <summary>"trails: ok" or "trails: spooling N (…)" or "trails: SPOOL FULL, N lost" for the STATUS line.</summary>
    public string Describe() =>
        Lost > 0 ? $"trails: SPOOL FULL, {Lost} lost"
        : Spooled > 0 ? $"trails: spooling {Spooled} ({_storeError ?? "PostgreSQL away"})"
        : "trails: ok";

    public void Record(DecisionTrail trail)
    {
        if (!_incoming.Writer.TryWrite(trail))
        {
            Interlocked.Increment(ref _lost);
            Alarm($"the hand-over queue of {_settings.QueueCapacity} records is full");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _incoming.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _spool?.Dispose();
    }

    private bool SpoolIsEmpty => _spool is null || _spool.IsEmpty;

    private TrailSpool OpenSpool()
    {
        if (_spool is null)
        {
            _spool = new TrailSpool(_settings.SpoolPath, _settings.SpoolMaxBytes);
            if (_spool.TornBytesDropped > 0)
            {
                _logger.LogWarning("Cut {Bytes} bytes of a decision trail torn by a crash from the end of {Spool}", _spool.TornBytesDropped, _spool.Path);
            }
        }

        return _spool;
    }

    private async Task RunAsync()
    {
        var batch = new List<DecisionTrail>(_settings.BatchSize);
        var reader = _incoming.Reader;
        while (true)
        {
            bool more;
            try
            {
                // While records wait in the spool, wake up to retry it even if nothing new comes.
                more = SpoolIsEmpty
                    ? await reader.WaitToReadAsync().ConfigureAwait(false)
                    : await reader.WaitToReadAsync().AsTask().WaitAsync(_settings.RetryInterval).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await TryReplayAsync().ConfigureAwait(false);
                continue;
            }

            if (!more)
            {
                break;
            }

            await FillAsync(reader, batch).ConfigureAwait(false);
            await StoreAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }

        // Shut down: what is left in the spool gets one more try; it stays on disk for the next start otherwise.
        _lastReplayAttempt = DateTime.MinValue;
        await TryReplayAsync().ConfigureAwait(false);
    }

    /// <summary>Takes what is there, and if that is short of a batch waits up to the flush interval for more.</summary>
    private async Task FillAsync(ChannelReader<DecisionTrail> reader, List<DecisionTrail> batch)
    {
        var deadline = DateTime.UtcNow + _settings.FlushInterval;
        while (batch.Count < _settings.BatchSize)
        {
            while (batch.Count < _settings.BatchSize && reader.TryRead(out var trail))
            {
                batch.Add(trail);
            }

            var left = deadline - DateTime.UtcNow;
            if (batch.Count >= _settings.BatchSize || left <= TimeSpan.Zero)
            {
                return;
            }

            try
            {
                if (!await reader.WaitToReadAsync().AsTask().WaitAsync(left).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (TimeoutException)
            {
                return;
            }
        }
    }

    private async Task StoreAsync(List<DecisionTrail> batch)
    {
        if (!SpoolIsEmpty)
        {
            // Behind records already waiting: keep the order, then see whether PostgreSQL is back.
            Spool(batch);
            await TryReplayAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            // What the store took: a record PostgreSQL refused was set aside, not stored.
            Interlocked.Add(ref _stored, await _store.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            _storeError = e.GetBaseException().Message;
            _logger.LogWarning("Cannot store decision trails in PostgreSQL ({Error}); spooling them to {Spool} until it is back", _storeError, _settings.SpoolPath);
            _lastReplayAttempt = DateTime.UtcNow;
            Spool(batch);
        }
    }

    private void Spool(List<DecisionTrail> batch)
    {
        var spool = OpenSpool();
        var taken = spool.Append(batch);
        Interlocked.Exchange(ref _spooled, spool.Records);
        if (taken < batch.Count)
        {
            Interlocked.Add(ref _lost, batch.Count - taken);
            Alarm($"the spool {spool.Path} is full at {spool.Bytes} bytes (Trails:SpoolMaxMiB)");
        }
    }

    private async Task TryReplayAsync()
    {
        if (_spool is not { IsEmpty: false } spool || DateTime.UtcNow - _lastReplayAttempt < _settings.RetryInterval)
        {
            return;
        }

        _lastReplayAttempt = DateTime.UtcNow;
        var waiting = spool.Records;
        long inserted = 0;
        try
        {
            foreach (var chunk in spool.ReadAll(_settings.BatchSize))
            {
                inserted += await _store.WriteAsync(chunk, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            _storeError = e.GetBaseException().Message;
            _logger.LogDebug("Replaying the decision trail spool failed: {Error}", _storeError);
            return;
        }

        spool.Clear();
        Interlocked.Exchange(ref _spooled, 0);
        Interlocked.Add(ref _stored, waiting);
        _storeError = null;
        _logger.LogInformation("PostgreSQL is back: replayed {Records} spooled decision trails ({Inserted} new, the rest were already stored)", waiting, inserted);
    }

    private void Alarm(string why)
    {
        if (!_alarms.ShouldLog("lost", out _))
        {
            return;
        }

        _logger.LogError("Decision trails are being LOST: {Reason}; {Lost} lost so far. Bring PostgreSQL back or raise the bound", why, Lost);
    }
}
