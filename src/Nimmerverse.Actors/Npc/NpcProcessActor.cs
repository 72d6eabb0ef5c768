using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using static Nimmerverse.Actors.Npc.NpcHostProtocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// One NPC's brain as a child process: starts it, notices its exit, starts it again after a
/// delay, and stops it gracefully (SIGTERM, then SIGKILL after the stop timeout). The brain
/// inherits the supervisor's standard output, so under systemd its lines reach the journal.
/// Restart backoff, giving up, cgroup quotas and re-adoption come with the process-control issue.
/// </summary>
public sealed partial class NpcProcessActor : ReceiveActor, IWithTimers
{
    private const int SigTerm = 15;
    private const string SetSid = "/usr/bin/setsid";

    private readonly int _npcId;
    private readonly NpcHostSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Process? _process;
    private int _starts;
    private int? _lastExitCode;
    private IActorRef? _stopRequester;

    public NpcProcessActor(int npcId, NpcHostSettings settings)
    {
        _npcId = npcId;
        _settings = settings;

        Receive<Start>(_ => StartBrain());
        Receive<Exited>(OnExited);
        Receive<GetInfo>(_ => Sender.Tell(new NpcProcessInfo(_npcId, _process?.Id, _starts, _lastExitCode)));
        Receive<StopGracefully>(_ => BeginStop());
        Receive<KillNow>(_ => Kill());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int npcId, NpcHostSettings settings) =>
        Akka.Actor.Props.Create(() => new NpcProcessActor(npcId, settings));

    protected override void PreStart() => Self.Tell(Start.Instance);

    /// <summary>Should the actor stop without a graceful stop first (a crash of the host), the brain must not outlive it unwatched.</summary>
    protected override void PostStop() => Kill();

    private void StartBrain()
    {
        if (_stopRequester is not null)
        {
            return;
        }

        // Each brain in a session of its own (setsid execs in place, so the PID stays the brain's):
        // a Ctrl-C in the supervisor's terminal reaches the supervisor alone, which then stops the
        // brains in order instead of racing them.
        var start = new ProcessStartInfo(File.Exists(SetSid) ? SetSid : _settings.BrainPath) { UseShellExecute = false };
        if (start.FileName == SetSid)
        {
            start.ArgumentList.Add(_settings.BrainPath);
        }

        foreach (var argument in _settings.ArgumentsFor(_npcId))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var self = Self;
            process.Exited += (_, _) => self.Tell(new Exited(process));
            process.Start();
            _process = process;
            _starts++;
            _log.Info("Started the brain of NPC {NpcId} as PID {Pid} (start {Starts})", _npcId, process.Id, _starts);
        }
        catch (Exception e)
        {
            _log.Error("Cannot start the brain of NPC {NpcId} from {BrainPath}: {Error}; retrying in {RestartDelay}", _npcId, _settings.BrainPath, e.Message, _settings.RestartDelay);
            Timers.StartSingleTimer("restart", Start.Instance, _settings.RestartDelay);
        }
    }

    private void OnExited(Exited exited)
    {
        if (!ReferenceEquals(exited.Process, _process))
        {
            return;
        }

        _lastExitCode = exited.Process.ExitCode;
        _process = null;
        exited.Process.Dispose();
        if (_stopRequester is { } requester)
        {
            Timers.Cancel("kill");
            _log.Info("The brain of NPC {NpcId} stopped with exit code {ExitCode}", _npcId, _lastExitCode);
            requester.Tell(new Stopped(_npcId));
            return;
        }

        _log.Warning("The brain of NPC {NpcId} exited with code {ExitCode}; starting it again in {RestartDelay}", _npcId, _lastExitCode, _settings.RestartDelay);
        Timers.StartSingleTimer("restart", Start.Instance, _settings.RestartDelay);
    }

    private void BeginStop()
    {
        _stopRequester = Sender;
        Timers.Cancel("restart");
        if (_process is not { } process)
        {
            Sender.Tell(new Stopped(_npcId));
            return;
        }

        // SIGTERM: the brain checkpoints, then exits 0. Process.Kill would send SIGKILL.
        if (Kill(process.Id, SigTerm) != 0)
        {
            _log.Warning("SIGTERM to the brain of NPC {NpcId} (PID {Pid}) failed: errno {Errno}", _npcId, process.Id, Marshal.GetLastPInvokeError());
        }

        Timers.StartSingleTimer("kill", KillNow.Instance, _settings.StopTimeout);
    }

    private void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid})", _npcId, process.Id);
            process.Kill();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed record Start
    {
        public static readonly Start Instance = new();
    }

    private sealed record KillNow
    {
        public static readonly KillNow Instance = new();
    }

    private sealed record Exited(Process Process);
}
