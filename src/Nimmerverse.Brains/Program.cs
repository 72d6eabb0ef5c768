using System.Runtime.InteropServices;
using Nimmerverse.Brains.Runtime;
using Nimmerverse.Protocol;
using System.Runtime.CompilerServices;
using Nimmerverse.Brains.Learning.Torch;

namespace Nimmerverse.Brains;

public static class Program
{
    /// <summary>sysexits(3): bad command line.</summary>
    public const int ExitUsage = 64;

    /// <summary>sysexits(3): a service this process needs (here: LibTorch) is unavailable.</summary>
    public const int ExitUnavailable = 69;

    /// <summary>sysexits(3): an internal error.</summary>
    public const int ExitSoftware = 70;

    /// <summary>sysexits(3), a temporary failure: no supervisor renewed this brain's lease (<c>--lease</c>), so it stopped itself.</summary>
    public const int ExitLeaseLapsed = BrainCommandLine.LeaseLapsedExitCode;

    /// <summary>sysexits(3): the bus refused this NPC's credentials (unknown, expired, revoked); its supervisor starts it again with fresh ones.</summary>
    public const int ExitNoPermission = 77;

    /// <summary>sysexits(3): a configuration error (the environment named two ways).</summary>
    public const int ExitConfig = 78;

    public static async Task<int> Main(string[] args)
    {
        var environmentSwitch = Environment.GetEnvironmentVariable(Environments.Variable);
        if (BrainCommandLine.EnvironmentConflict(args, environmentSwitch) is { } conflict)
        {
            Console.Error.WriteLine($"nimmerverse-brain: {conflict}");
            return ExitConfig;
        }

        var (arguments, error) = BrainCommandLine.Parse(args, environmentSwitch);
        if (arguments is null)
        {
            Console.Error.WriteLine($"nimmerverse-brain: {error}\n\n{BrainCommandLine.Usage}");
            return ExitUsage;
        }

        var log = new BrainLog(arguments.Id);
        // Every brain of a host runs as the same user: not dumpable, no other brain may read this
        // one's memory, descriptors or environment through /proc or ptrace (its credentials are there).
        ProcessHardening.MakeUndumpable(log);
        string? credentials;
        try
        {
            credentials = BrainLink.ReadCredentials(arguments, Console.In);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            log.Error(e.Message);
            return ExitNoPermission;
        }

        if (arguments.Engine == BrainCommandLine.TorchEngine)
        {
            try
            {
                LoadLibTorch();
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
            {
                log.Error($"LibTorch does not load: {e.GetBaseException().Message} (was the build's libstdc++ step skipped? see build/libtorchsharp-glibcxx)");
                return ExitUnavailable;
            }
        }

        using var stopping = new CancellationTokenSource();
        // SIGTERM (systemd, the supervisor) and SIGINT: stop ticking, hand over the weights, exit 0.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var parentWatch = arguments.Parent is { } parent ? ParentWatch.Start(parent, log, stopping.Cancel) : null;

        try
        {
            await using var link = new BrainLink(arguments, credentials, log);
            using var brain = new Brain(arguments, link, log);
            var running = brain.RunAsync(stopping.Token);
            if (await Task.WhenAny(running, link.CredentialsRefused).ConfigureAwait(false) == link.CredentialsRefused)
            {
                log.Error($"the bus refused this NPC's credentials ({link.CredentialsRefused.Result}); exiting, to be started again with fresh ones");
                await stopping.CancelAsync().ConfigureAwait(false);
                await running.ConfigureAwait(false);
                return ExitNoPermission;
            }

            await running.ConfigureAwait(false);
            return brain.LeaseLapsed ? ExitLeaseLapsed : 0;
        }
        catch (Exception e)
        {
            log.Error($"died: {e}");
            return ExitSoftware;
        }

        // Apart, and never inlined: a brain on the lean engine never loads TorchSharp.
        [MethodImpl(MethodImplOptions.NoInlining)]
        static void LoadLibTorch() => TorchDqnEngine.Initialise();

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }
}
