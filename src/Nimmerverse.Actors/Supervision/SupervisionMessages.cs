namespace Nimmerverse.Actors.Supervision;

/// <summary>
/// An actor failed (published on the event stream by <see cref="BoundedRestartStrategy"/>): it is
/// restarted, or stopped: for good when it ran out of restarts (<see cref="GaveUp"/>).
/// </summary>
public sealed record ActorFailed(string Path, string Exception, string Message, bool Restarting, bool GaveUp);
