namespace Nimmerverse.Brains;

public static class Program
{
    /// <summary>sysexits(3): bad command line.</summary>
    public const int ExitUsage = 64;

    public static int Main(string[] args)
    {
        var (arguments, error) = BrainArguments.Parse(args);
        if (arguments is null)
        {
            Console.Error.WriteLine($"nimmerverse-brain: {error}\n\n{BrainArguments.Usage}");
            return ExitUsage;
        }

        // The learning loop arrives with the brains issue; until then the process validates its
        // command line and says what it would run, so the supervisor's spawn path can be built.
        Console.WriteLine($"nimmerverse-brain: NPC {arguments.Id} at {arguments.TickRateHz} Hz in {arguments.Environment} via {arguments.NatsUrl}: no policy yet, exiting");
        return 0;
    }
}
