using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Identities;

/// <summary>
/// Starts each brain with NATS credentials of its own, minted afresh for every start (so a brain
/// restarted after bad or expired credentials gets new ones): its NPC id is read back from its
/// command line, and <c>--creds</c> added.
/// </summary>
public sealed class CredentialedBrainLauncher(IBrainLauncher inner, NpcMinter minter, string credsDirectory) : IBrainLauncher
{
    public BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit)
    {
        var (command, error) = BrainCommandLine.Parse(arguments);
        if (command is null)
        {
            throw new ArgumentException($"not a brain's command line: {error}", nameof(arguments));
        }

        var creds = Path.Combine(credsDirectory, $"npc-{command.Id}.creds");
        minter.Mint(command.Id, creds);
        return inner.Start(brainPath, (command with { CredsFile = creds }).ToArguments(), onExit);
    }

    public BrainProcess? Adopt(int pid) => inner.Adopt(pid);
}
