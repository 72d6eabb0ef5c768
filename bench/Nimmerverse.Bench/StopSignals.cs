using System.Runtime.InteropServices;

namespace Nimmerverse.Bench;

/// <summary>
/// SIGTERM or SIGINT stops a benchmark that hosts supervisors in its own process: its waits end, and its supervisors and
/// servers are disposed on the way out. Without it, the hosted supervisor's own console lifetime took the signal and
/// stopped that supervisor alone, and the benchmark waited out the window and went on to its next run.
/// </summary>
internal static class StopSignals
{
    /// <summary>What <see cref="Program"/> returns when stopped so: 128 + SIGTERM's number, as a shell reports it.</summary>
    public const int ExitCode = 143;

    private static readonly CancellationTokenSource Stopping = new();

    /// <summary>Cancelled at the first SIGTERM or SIGINT after <see cref="Listen"/>.</summary>
    public static CancellationToken Token => Stopping.Token;

    /// <summary>Takes SIGTERM and SIGINT from the runtime's default (ending the process) until disposed.</summary>
    public static IDisposable Listen() => new Registrations([PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop), PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop)]);

    private static void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        Stopping.Cancel();
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
