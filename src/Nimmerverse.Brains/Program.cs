using System.Runtime.InteropServices;
using Nimmerverse.Brains.Runtime;
using Nimmerverse.Protocol;
using TorchSharp;

namespace Nimmerverse.Brains;

public static class Program
{
    /// <summary>sysexits(3): bad command line.</summary>
    public const int ExitUsage = 64;

    /// <summary>sysexits(3): a service this process needs (here: LibTorch) is unavailable.</summary>
    public const int ExitUnavailable = 69;

    /// <summary>sysexits(3): an internal error.</summary>
    public const int ExitSoftware = 70;

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
        try
        {
            // A hundred brains share a host's cores: one intra-op and one inter-op thread each.
            torch.set_num_threads(1);
            torch.set_num_interop_threads(1);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            log.Error($"LibTorch does not load: {e.GetBaseException().Message} (was the build's libstdc++ step skipped? see build/libtorchsharp-glibcxx)");
            return ExitUnavailable;
        }

        using var stopping = new CancellationTokenSource();
        // SIGTERM (systemd, the supervisor) and SIGINT: stop ticking, hand over the weights, exit 0.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var parentWatch = arguments.Parent is { } parent ? ParentWatch.Start(parent, log, stopping.Cancel) : null;

        try
        {
            await using var link = new BrainLink(arguments);
            using var brain = new Brain(arguments, link, log);
            await brain.RunAsync(stopping.Token).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e)
        {
            log.Error($"died: {e}");
            return ExitSoftware;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }
}
