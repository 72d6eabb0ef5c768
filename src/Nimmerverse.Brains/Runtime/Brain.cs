using System.Collections.Concurrent;
using Nimmerverse.Protocol;
using Nimmerverse.Brains.Learning;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// One NPC's life: every tick it asks the world for a step (its chosen move), learns from the
/// reward, and publishes its state; it obeys commands from the next tick on, and hands its
/// weights to the supervisor periodically, on command and when it stops. Losing NATS does not
/// stop the ticks: steps fail, nothing is learned from them, and the state says so.
/// </summary>
public sealed class Brain(BrainCommandLine arguments, BrainLink link, BrainLog log) : IDisposable
{
    /// <summary>
    /// How long a brain keeps asking for its checkpoint before it starts to learn from nothing. Long,
    /// because a fresh start overwrites what was learned at the next checkpoint, and a host that
    /// starts many brains at once answers slowly for a while.
    /// </summary>
    public static readonly TimeSpan RestoreFor = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan RestoreAttemptTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromSeconds(5);
    private const int ProgressEveryEpisodes = 100;

    private readonly DqnLearner _learner = new(ObservationEncoder.Length, BrainRole.Of(arguments.Role), arguments.Seed, engine: arguments.Engine);
    private readonly TickClock _clock = new(arguments.TickRateHz);
    private readonly RateMeter _rate = new();
    private readonly EpisodeStats _stats = new();
    private readonly CortexAdvice _advice = new(arguments.AskCortexAfter, arguments.Id, link, log);
    private readonly ConcurrentQueue<NpcCommandBody> _commands = new();
    private readonly Lock _checkpointLock = new();
    private readonly KeeperLease? _lease = arguments.Lease is { } length ? new KeeperLease(length, TimeProvider.System) : null;

    private WorldObservation? _current;
    private float[]? _currentInput;
    private long _tick;
    private bool _paused;
    private bool _stopRequested;
    private bool _checkpointRequested = arguments.Fresh; // a newcomer's first checkpoint supersedes its predecessor's at once
    private Task? _saving;
    private long _sequence;
    private long _acknowledgedSequence;
    private DateTimeOffset _lastCheckpoint = DateTimeOffset.UtcNow;
    private long _stepsAtLastCheckpoint;
    private volatile bool _restored = arguments.Fresh;

    /// <summary>Runs until SIGTERM (<paramref name="stopping"/>) or a stop command; the last checkpoint is handed over before it returns.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // With RetryOnInitialConnect the connection keeps trying in the background; the ticks do not wait for it.
        _ = link.ConnectAsync().ContinueWith(
            t =>
            {
                if (!stopping.IsCancellationRequested)
                {
                    log.Warning("nats", $"NATS at {arguments.NatsUrl} is not reachable ({t.Exception?.GetBaseException().Message})");
                }
            },
            TaskContinuationOptions.OnlyOnFaulted);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var commands = ListenAsync(running.Token);
        var restore = arguments.Fresh ? Task.CompletedTask : RestoreAsync(running.Token);

        log.Info($"alive: {arguments.Role} network on the {arguments.Engine} engine, {arguments.TickRateHz} Hz, seed {arguments.Seed}, {arguments.Environment} via {arguments.NatsUrl}{(arguments.Fresh ? "; a newcomer, learning from nothing" : "")}");
        try
        {
            while (!stopping.IsCancellationRequested && !_stopRequested)
            {
                var lag = await _clock.WaitAsync(stopping).ConfigureAwait(false);
                await TickAsync(lag, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // SIGTERM: fall through to the last checkpoint.
        }

        await running.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(commands, restore).ConfigureAwait(false);
        var handover = LeaseLapsed ? BrainCommandLine.LapsedHandover : CheckpointTimeout;
        if (_saving is { } saving)
        {
            await Task.WhenAny(saving, Task.Delay(handover)).ConfigureAwait(false);
        }

        if (_restored && _learner.Steps > 0)
        {
            await CheckpointAsync("stopping", handover).ConfigureAwait(false);
        }

        log.Info($"stopped after {_tick} ticks, {_stats.Episodes} episodes, success {_stats.SuccessRate:P0}");
    }

    /// <summary>The brain stopped because its lease lapsed (no supervisor renewed it), not on request.</summary>
    public bool LeaseLapsed { get; private set; }

    public void Dispose() => _learner.Dispose();

    private async Task TickAsync(double lagMs, CancellationToken stopping)
    {
        _tick++;
        _rate.Tick();
        ApplyCommands();
        if (!_stopRequested && _lease?.HasLapsed(log) == true)
        {
            (LeaseLapsed, _stopRequested) = (true, true);
            return;
        }

        var period = TimeSpan.FromSeconds(1 / _clock.RateHz);
        if (!_paused && _restored)
        {
            // The step may take most of a tick, never more: a slow world costs a step, not the schedule.
            await StepAsync(period * 0.8, stopping).ConfigureAwait(false);
        }

        await PublishStateAsync(lagMs, period, stopping).ConfigureAwait(false);

        var due = DateTimeOffset.UtcNow - _lastCheckpoint >= arguments.CheckpointEvery && _learner.Steps > _stepsAtLastCheckpoint;
        if (_restored && (_checkpointRequested || due))
        {
            StartCheckpoint(_checkpointRequested ? "commanded" : "periodic");
            _checkpointRequested = false;
        }
    }

    private async Task StepAsync(TimeSpan timeout, CancellationToken stopping)
    {
        var explore = _current is { Quiz: false };
        var action = _current is null ? (int?)null : _learner.Act(_currentInput!, ObservationEncoder.OpenMask(_current), explore);
        if (explore && _advice.Follow(_current!) is { } suggested)
        {
            action = suggested; // the cortex's suggestion, learnt from like any step
        }

        WorldStepResultBody result;
        try
        {
            result = await link.StepAsync(action is { } a ? Moves.All[a] : null, timeout, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            log.Warning("step", $"no step this tick: the world did not answer ({e.GetType().Name}: {e.Message})");
            return;
        }

        if (result.Observation is not { } next)
        {
            log.Warning("world", $"the world refused the step: {result.Error}");
            return;
        }

        var nextInput = new float[ObservationEncoder.Length];
        ObservationEncoder.Encode(next, nextInput);
        if (_current is { } previous && action is { } move)
        {
            _stats.Reward(next.Reward);
            // A quiz examines what the brain knows; it does not learn from its answers.
            if (!previous.Quiz && _learner.Learn(new Transition(_currentInput!, move, (float)next.Reward, nextInput, ObservationEncoder.OpenMask(next), next.Done)) is { } loss)
            {
                _stats.Learned(loss);
            }

            if (next.Done)
            {
                _stats.EpisodeEnded(next.Success);
                _stats.Quiz.EpisodeEnded(previous.Quiz, next.Success, next.Quiz);
                if (!previous.Quiz)
                {
                    _advice.ErrandEnded(next.Success, next, stopping);
                }

                if (_stats.Episodes % ProgressEveryEpisodes == 0)
                {
                    log.Info($"episode {_stats.Episodes}: success {_stats.SuccessRate:P0} over the last {_stats.WindowCount}, epsilon {_learner.Epsilon:F2}, loss {_stats.Loss:F4}, level {next.Level}, lifeforce {next.Lifeforce:F1}");
                }
            }
        }

        if (_stats.AtLevel(next.Level))
        {
            log.Info($"the village is at level {next.Level} now: {next.Rows}x{next.Columns} nodes");
        }

        (_current, _currentInput) = (next, nextInput);
    }

    private async Task PublishStateAsync(double lagMs, TimeSpan period, CancellationToken stopping)
    {
        var state = new NpcStateBody(
            arguments.Id, _tick, _clock.RateHz, _rate.RateHz(_clock.RateHz), lagMs, _current?.Node ?? 0, _stats.Episodes,
            _stats.SuccessRate, _stats.RewardRate(), _stats.Loss, (_current?.Lifeforce ?? 0) - _advice.Spent, Environment.CpuUsage.TotalTime.TotalMilliseconds,
            _paused, _current?.Level ?? 0, _learner.Steps, _learner.Epsilon, Interlocked.Read(ref _acknowledgedSequence), link.PermissionViolations, _advice.Asked, _advice.Followed, arguments.Role, _stats.WindowCount, _stats.Quiz.LatestPassed, _current is not null);
        try
        {
            await link.PublishStateAsync(state, period, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            log.Warning("state", $"state of tick {_tick} not published ({e.GetType().Name}: {e.Message})");
        }
    }

    private void ApplyCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            switch (command.Command)
            {
                case "set_tick_rate":
                    break; // applied on arrival (it re-times the wait for this very tick)
                case "pause":
                    _paused = true;
                    break;
                case "resume":
                    _paused = false;
                    break;
                case "checkpoint":
                    _checkpointRequested = true;
                    break;
                case "stop":
                    _stopRequested = true;
                    break;
            }

            var applied = $"command {command.Command}{(command.TickRateHz is { } hz ? $" {hz} Hz" : "")} applied at tick {_tick}";
            if (command.Command == "set_tick_rate")
            {
                log.InfoAtMostEveryMinute("set_tick_rate", applied);
            }
            else
            {
                log.Info(applied);
            }
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var command in link.CommandsAsync(r => log.Warning($"command:{r.Reason}", $"rejected a command: {r.Reason}: {r.Detail}"), cancellationToken).ConfigureAwait(false))
                {
                    if (command is { Command: "set_tick_rate", TickRateHz: { } rate })
                    {
                        _clock.SetRate(rate);
                    }

                    if (command.Command == NpcCommandBody.RenewLease)
                    {
                        _lease?.Renew(); // on arrival, not at the next tick, and not logged: it comes every few seconds
                        continue;
                    }

                    _commands.Enqueue(command);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.Warning("commands", $"command subscription failed ({e.Message}); subscribing again");
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Why this brain cannot take <paramref name="checkpoint"/> (another network layout, weights that do not load), or null.</summary>
    private string? UnusableBecause(NpcCheckpointBody checkpoint)
    {
        if (checkpoint.Format != _learner.Format)
        {
            return $"a {checkpoint.Format}, this brain is a {_learner.Format}";
        }

        return _learner.CanLoadWeights(checkpoint.Weights) is { } problem ? problem : null;
    }

    /// <summary>
    /// Asks the supervisor for the latest checkpoint until it answers or <see cref="RestoreFor"/>
    /// passes; meanwhile the brain ticks and publishes its state, but does not step or learn, so
    /// what it learned before cannot be overwritten by a fresh start. Each failed attempt is
    /// logged (rate-limited), so a slow or absent checkpoint keeper is visible in the journal.
    /// </summary>
    private async Task RestoreAsync(CancellationToken cancellationToken)
    {
        var giveUp = DateTimeOffset.UtcNow + RestoreFor;
        string? lastProblem = null;
        long? olderThan = null; // set once the newest proved unusable: then the one stored before it
        var unusable = 0;
        while (!cancellationToken.IsCancellationRequested && DateTimeOffset.UtcNow < giveUp)
        {
            try
            {
                var found = await link.LoadAsync(RestoreAttemptTimeout, cancellationToken, olderThan).ConfigureAwait(false);
                if (found.Error is { } error)
                {
                    lastProblem = $"the checkpoint store failed: {error}";
                }
                else if (found.Checkpoint is not { } checkpoint)
                {
                    log.Info(unusable == 0 ? "no checkpoint stored: learning from scratch" : $"none of the {unusable} stored checkpoints is usable: learning from scratch");
                    lastProblem = null; // the store answered in the end: an earlier failure is no reason to complain
                    break;
                }
                else if (unusable >= NpcCheckpointBody.KeptPerNpc)
                {
                    // Only so many are kept: more unusable ones means someone keeps saving them (a
                    // forger on an open bus); walking on would only fill the log.
                    log.Warning($"the {unusable} newest stored checkpoints are unusable, and more keep coming: learning from scratch");
                    lastProblem = null;
                    break;
                }
                else if (UnusableBecause(checkpoint) is { } why)
                {
                    // A checkpoint of another layout, or a corrupt one, must not cost the learning in the older ones.
                    unusable++;
                    log.Warning($"checkpoint {checkpoint.Sequence} is unusable ({why}); trying the one stored before it");
                    olderThan = checkpoint.Sequence;
                    continue;
                }
                else
                {
                    _learner.LoadWeights(checkpoint.Weights, checkpoint.Steps);
                    _stats.Restore(checkpoint.Episodes, checkpoint.Level, checkpoint.RecentErrands, checkpoint.QuizPassed);
                    _sequence = checkpoint.Sequence;
                    Interlocked.Exchange(ref _acknowledgedSequence, checkpoint.Sequence);
                    _stepsAtLastCheckpoint = checkpoint.Steps;
                    log.Info($"restored checkpoint {checkpoint.Sequence}: {checkpoint.Steps} steps, {checkpoint.Episodes} episodes learned");
                    break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                lastProblem = $"{e.GetType().Name}: {e.Message}";
                log.Warning("restore-attempt", $"asking for the checkpoint failed ({lastProblem}); asking again");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (lastProblem is not null && Interlocked.Read(ref _acknowledgedSequence) == 0)
        {
            log.Error($"no checkpoint could be read for {RestoreFor.TotalSeconds:F0} s ({lastProblem}): learning from scratch, and the next checkpoint replaces any stored one");
        }

        _restored = true;
    }

    private void StartCheckpoint(string why)
    {
        lock (_checkpointLock)
        {
            if (_saving is { IsCompleted: false })
            {
                return; // one at a time; the next is due soon enough
            }

            _saving = CheckpointAsync(why);
        }
    }

    private async Task CheckpointAsync(string why, TimeSpan? timeout = null)
    {
        var checkpoint = new NpcCheckpointBody(arguments.Id, ++_sequence, arguments.Role, _learner.Format, _learner.SaveWeights(), _learner.Steps, _stats.Episodes, _learner.Epsilon, _stats.WindowLevel, _stats.RecentErrands, _stats.Quiz.LatestPassed);
        (_lastCheckpoint, _stepsAtLastCheckpoint) = (DateTimeOffset.UtcNow, _learner.Steps);
        try
        {
            var saved = await link.SaveAsync(checkpoint, timeout ?? CheckpointTimeout, CancellationToken.None).ConfigureAwait(false);
            if (saved.Error is { } error)
            {
                log.Warning("checkpoint", $"checkpoint {checkpoint.Sequence} ({why}) was not stored: {error}");
                return;
            }

            Interlocked.Exchange(ref _acknowledgedSequence, checkpoint.Sequence);
        }
        catch (Exception e)
        {
            log.Warning("checkpoint", $"checkpoint {checkpoint.Sequence} ({why}) was not handed over: {e.GetType().Name}: {e.Message}");
        }
    }
}
