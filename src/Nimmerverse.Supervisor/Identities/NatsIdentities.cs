using NATS.NKeys;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Identities;

/// <summary>
/// The lab's NATS identities, kept in one directory: an operator; one account per environment
/// (so a dev user can never publish or subscribe under prod, nor the reverse), each with a signing
/// key the supervisors of that environment hold to mint users; per environment the supervisor's
/// own user (the whole account) and an operator user for people; and the nats-server
/// configuration that trusts them (<c>operator</c>, <c>resolver: MEMORY</c>, the accounts preloaded).
/// NPC users are not kept here: a supervisor mints one per brain when it spawns it
/// (<see cref="NpcMinter"/>), so a new NPC needs no server change.
/// Layout: <c>operator.nk</c>/<c>.jwt</c>, <c>accounts/ENV.nk</c>/<c>.jwt</c>/<c>.signing.nk</c>, <c>accounts/SYS.*</c> (the server's own),
/// <c>creds/supervisor-ENV.creds</c>, <c>creds/operator-ENV.creds</c>, <c>nats-server.conf</c>.
/// Every seed and creds file is mode 0400.
/// </summary>
public sealed class NatsIdentities
{
    private NatsIdentities(string directory) => Directory = directory;

    public string Directory { get; }

    public string ServerConfig => Path.Combine(Directory, "nats-server.conf");

    public string SupervisorCreds(string environment) => Path.Combine(Directory, "creds", $"supervisor-{environment}.creds");

    public string OperatorCreds(string environment) => Path.Combine(Directory, "creds", $"operator-{environment}.creds");

    public string SigningKey(string environment) => Path.Combine(Directory, "accounts", $"{environment}.signing.nk");

    public string AccountJwt(string environment) => Path.Combine(Directory, "accounts", $"{environment}.jwt");

    /// <summary>Creates the identities in <paramref name="directory"/>, or keeps those already there (keys are never replaced: that would lock every holder out).</summary>
    public static NatsIdentities Create(string directory)
    {
        var identities = new NatsIdentities(directory);
        using var operatorKey = LoadOrCreate(Path.Combine(directory, "operator.nk"), PrefixByte.Operator);
        WriteIfMissing(Path.Combine(directory, "operator.jwt"), () => NatsJwt.Operator(operatorKey, "nimmerverse"));
        // The server's own account (JetStream and monitoring need one); no user of ours is in it.
        using var system = LoadOrCreate(Path.Combine(directory, "accounts", "SYS.nk"), PrefixByte.Account);
        var systemJwt = Path.Combine(directory, "accounts", "SYS.jwt");
        WriteIfMissing(systemJwt, () => NatsJwt.Account(operatorKey, system.GetPublicKey(), "SYS", [], jetStream: false));
        var preload = new List<string> { $"  {system.GetPublicKey()}: \"{File.ReadAllText(systemJwt).Trim()}\"" };
        foreach (var environment in Environments.All)
        {
            using var account = LoadOrCreate(Path.Combine(directory, "accounts", $"{environment}.nk"), PrefixByte.Account);
            using var signing = LoadOrCreate(identities.SigningKey(environment), PrefixByte.Account);
            WriteIfMissing(identities.AccountJwt(environment), () => NatsJwt.Account(operatorKey, account.GetPublicKey(), environment, [signing.GetPublicKey()]));
            preload.Add($"  {account.GetPublicKey()}: \"{File.ReadAllText(identities.AccountJwt(environment)).Trim()}\"");
            MintIfMissing(identities.SupervisorCreds(environment), signing, account.GetPublicKey(), $"supervisor-{environment}");
            MintIfMissing(identities.OperatorCreds(environment), signing, account.GetPublicKey(), $"operator-{environment}");
        }

        var config = $$"""
            # NATS decentralized auth for nimmerverse, written by `nimmerverse identities init`.
            # Include it from nats-server's configuration (include ./nats-server.conf).
            operator: "{{File.ReadAllText(Path.Combine(directory, "operator.jwt")).Trim()}}"
            system_account: {{system.GetPublicKey()}}
            resolver: MEMORY
            resolver_preload: {
            {{string.Join("\n", preload)}}
            }

            """;
        File.WriteAllText(identities.ServerConfig, config);
        return identities;
    }

    /// <summary>The paths of the identities in <paramref name="directory"/>, whether or not they exist yet.</summary>
    public static NatsIdentities At(string directory) => new(directory);

    /// <summary>Where the supervisor of <paramref name="environment"/> writes the creds it mints for its brains.</summary>
    public string NpcCredsDirectory(string environment) => Path.Combine(Directory, "npcs", environment);

    /// <summary>The minter of the NPC users of <paramref name="subjects"/>' environment.</summary>
    public NpcMinter Minter(Subjects subjects) => NpcMinter.Open(SigningKey(subjects.Environment), AccountJwt(subjects.Environment), subjects);

    private static KeyPair LoadOrCreate(string path, PrefixByte prefix)
    {
        if (File.Exists(path))
        {
            return KeyPair.FromSeed(File.ReadAllText(path).Trim());
        }

        var key = KeyPair.CreatePair(prefix);
        Secret.Write(path, key.GetSeed() + "\n");
        return key;
    }

    private static void WriteIfMissing(string path, Func<string> content)
    {
        if (!File.Exists(path))
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content() + "\n");
        }
    }

    private static void MintIfMissing(string path, KeyPair signing, string account, string name)
    {
        if (File.Exists(path))
        {
            return;
        }

        using var user = KeyPair.CreatePair(PrefixByte.User);
        CredsFile.Write(path, NatsJwt.User(signing, account, user.GetPublicKey(), name), user.GetSeed());
    }
}

/// <summary>
/// Mints each NPC's own NATS user when its brain is spawned, signed with its environment account's
/// signing key: it may publish and subscribe only its own subjects (<see cref="Subjects.NpcMayPublish"/>,
/// <see cref="Subjects.NpcMaySubscribe"/>). No server change or reload: the server trusts whatever
/// the account's signing key signs.
/// </summary>
public sealed class NpcMinter(KeyPair signingKey, string accountPublicKey, Subjects subjects)
{
    public static NpcMinter Open(string signingKeyPath, string accountJwtPath, Subjects subjects)
    {
        var signing = KeyPair.FromSeed(File.ReadAllText(signingKeyPath).Trim());
        var account = System.Text.Json.Nodes.JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(File.ReadAllText(accountJwtPath).Trim().Split('.')[1]))!["sub"]!.GetValue<string>();
        return new NpcMinter(signing, account, subjects);
    }

    /// <summary>Writes NPC <paramref name="npcId"/>'s creds to <paramref name="path"/> (mode 0400).</summary>
    public void Mint(int npcId, string path)
    {
        using var user = KeyPair.CreatePair(PrefixByte.User);
        var permissions = new NatsPermissions(subjects.NpcMayPublish(npcId), subjects.NpcMaySubscribe(npcId));
        CredsFile.Write(path, NatsJwt.User(signingKey, accountPublicKey, user.GetPublicKey(), $"npc-{npcId}", permissions), user.GetSeed());
    }
}
