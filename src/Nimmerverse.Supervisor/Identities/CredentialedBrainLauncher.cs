using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Identities;

/// <summary>
/// Starts each brain with NATS credentials of its own, minted afresh for every start (so a brain
/// restarted after refused or expired credentials gets new ones) and handed over on its standard
/// input (<c>--creds -</c>): they are never on disk, where every process of the brains' shared
/// user could read them. Its NPC id is read back from its command line.
/// </summary>
public sealed class CredentialedBrainLauncher(IBrainLauncher inner, NpcMinter minter) : IBrainLauncher
{
    public BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit, string? standardInput = null)
    {
        var (command, error) = BrainCommandLine.Parse(arguments);
        if (command is null)
        {
            throw new ArgumentException($"not a brain's command line: {error}", nameof(arguments));
        }

        return inner.Start(brainPath, (command with { CredsFile = BrainCommandLine.CredsOnStandardInput }).ToArguments(), onExit, minter.Mint(command.Id));
    }

    public BrainProcess? Adopt(int pid) => inner.Adopt(pid);
}
