using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Event;
using Nimmerverse.Actors.Logging;

namespace Nimmerverse.Actors.Supervision;

/// <summary>
/// How every actor of the supervisor is supervised: a failing actor is restarted, at most
/// <see cref="MaxRestarts"/> times within <see cref="Window"/>; one failure more and it is stopped
/// for good, so one poison message costs one restart and a poison stream a bounded few, never a
/// storm. Each failure is published as an <see cref="ActorFailed"/> (counted for the STATUS line and
/// <c>/api/status</c>) and logged at most once per <see cref="LogInterval"/> per actor and exception
/// type, with the number held back.
/// </summary>
public sealed class BoundedRestartStrategy : OneForOneStrategy
{
    public const int MaxRestarts = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>The HOCON that makes this the strategy for the top-level actors (the user guardian's children).</summary>
    public static readonly string GuardianHocon =
        $"akka.actor.guardian-supervisor-strategy = \"{typeof(BoundedRestartConfigurator).FullName}, {typeof(BoundedRestartConfigurator).Assembly.GetName().Name}\"";

    private readonly LogThrottle _throttle = new(LogInterval);

    public BoundedRestartStrategy()
        : base(MaxRestarts, Window, Decide)
    {
    }

    /// <summary>Akka's own defaults: an actor that cannot be built, or was killed, stays stopped; any other failure restarts it.</summary>
    private static Directive Decide(Exception cause) => cause switch
    {
        ActorInitializationException or ActorKilledException or DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>Logged in <see cref="ProcessFailure"/>, where the count of restarts is known.</summary>
    protected override void LogFailure(IActorContext context, IActorRef child, Exception cause, Directive directive)
    {
    }

    public override void ProcessFailure(IActorContext context, bool restart, IActorRef child, Exception cause, ChildRestartStats stats, IReadOnlyCollection<ChildRestartStats> children)
    {
        var restarting = restart && stats.RequestRestartPermission(MaxNumberOfRetries, WithinTimeRangeMilliseconds);
        var failure = new ActorFailed(child.Path.ToStringWithoutAddress(), cause.GetType().Name, cause.Message, restarting, restart && !restarting);
        context.System.EventStream.Publish(failure);
        Log(context, child, cause, failure, (int)stats.MaxNrOfRetriesCount);

        if (restarting)
        {
            RestartChild(child, cause, suspendFirst: false);
        }
        else
        {
            context.Stop(child);
        }
    }

    private void Log(IActorContext context, IActorRef child, Exception cause, ActorFailed failure, int restartsInWindow)
    {
        var source = child.Path.ToString();
        if (failure.GaveUp)
        {
            // Once per actor: it does not fail again.
            context.System.EventStream.Publish(new Error(cause, source, GetType(),
                $"{failure.Path} failed more than {MaxRestarts} times within {Window.TotalSeconds:0} s and is stopped for good; the rest of the supervisor runs on ({failure.Exception}: {failure.Message})"));
            return;
        }

        if (!_throttle.ShouldLog($"{failure.Path} {failure.Exception}", out var suppressed))
        {
            return;
        }

        var action = failure.Restarting ? $"restarted ({restartsInWindow} of {MaxRestarts} within {Window.TotalSeconds:0} s)" : "stopped";
        context.System.EventStream.Publish(new Error(cause, source, GetType(),
            $"{failure.Path} failed and is {action}: {failure.Exception}: {failure.Message} ({suppressed} more like it since the last report)"));
    }
}

/// <summary>Builds <see cref="BoundedRestartStrategy"/> for <c>akka.actor.guardian-supervisor-strategy</c>.</summary>
public sealed class BoundedRestartConfigurator : SupervisorStrategyConfigurator
{
    public override SupervisorStrategy Create() => new BoundedRestartStrategy();
}
