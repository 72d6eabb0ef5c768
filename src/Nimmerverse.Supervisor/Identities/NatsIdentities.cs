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

    /// <summary>The signing key a rotation replaces, kept (and trusted) until it is retired.</summary>
    public string PreviousSigningKey(string environment) => Path.Combine(Directory, "accounts", $"{environment}.signing.previous.nk");

    private const string SystemAccount = "SYS";

    private string OperatorKey => Path.Combine(Directory, "operator.nk");

    private string AccountKey(string account) => Path.Combine(Directory, "accounts", $"{account}.nk");

    public string AccountJwt(string environment) => Path.Combine(Directory, "accounts", $"{environment}.jwt");

    /// <summary>Creates the identities in <paramref name="directory"/>, or keeps those already there (keys are never replaced: that would lock every holder out).</summary>
    public static NatsIdentities Create(string directory)
    {
        var identities = new NatsIdentities(directory);
        using var operatorKey = LoadOrCreate(identities.OperatorKey, PrefixByte.Operator);
        WriteIfMissing(Path.Combine(directory, "operator.jwt"), () => NatsJwt.Operator(operatorKey, "nimmerverse"));
        // The server's own account (JetStream and monitoring need one); no user of ours is in it.
        using var system = LoadOrCreate(identities.AccountKey(SystemAccount), PrefixByte.Account);
        WriteIfMissing(identities.AccountJwt(SystemAccount), () => NatsJwt.Account(operatorKey, system.GetPublicKey(), SystemAccount, [], jetStream: false));
        foreach (var environment in Environments.All)
        {
            using var account = LoadOrCreate(identities.AccountKey(environment), PrefixByte.Account);
            using var signing = LoadOrCreate(identities.SigningKey(environment), PrefixByte.Account);
            WriteIfMissing(identities.AccountJwt(environment), () => NatsJwt.Account(operatorKey, account.GetPublicKey(), environment, [signing.GetPublicKey()]));
            MintIfMissing(identities.SupervisorCreds(environment), signing, account.GetPublicKey(), $"supervisor-{environment}");
            MintIfMissing(identities.OperatorCreds(environment), signing, account.GetPublicKey(), $"operator-{environment}");
        }

        identities.WriteServerConfig();
        return identities;
    }

    /// <summary>
    /// The first step of a signing-key rotation for <paramref name="environment"/>: the key becomes the
    /// previous one, a new one is made, the account JWT lists both (users of either are trusted), the
    /// supervisor's and the operator's users are minted anew with the new key, and nats-server.conf is
    /// rewritten. Then: reload nats-server, give the hosts the new key and creds, restart their supervisors,
    /// and <see cref="RetireSigningKey"/>. Needs the operator's key (it re-signs the account).
    /// </summary>
    /// <exception cref="InvalidOperationException">A rotation is already under way.</exception>
    public void RotateSigningKey(string environment)
    {
        if (File.Exists(PreviousSigningKey(environment)))
        {
            throw new InvalidOperationException($"a rotation of {environment}'s signing key is under way ({PreviousSigningKey(environment)} exists): retire it first (nimmerverse identities retire-key {Directory} {environment})");
        }

        using var operatorKey = KeyPair.FromSeed(File.ReadAllText(OperatorKey).Trim());
        using var account = KeyPair.FromSeed(File.ReadAllText(AccountKey(environment)).Trim());
        File.Move(SigningKey(environment), PreviousSigningKey(environment));
        using var previous = KeyPair.FromSeed(File.ReadAllText(PreviousSigningKey(environment)).Trim());
        using var fresh = LoadOrCreate(SigningKey(environment), PrefixByte.Account);
        File.WriteAllText(AccountJwt(environment), NatsJwt.Account(operatorKey, account.GetPublicKey(), environment, [fresh.GetPublicKey(), previous.GetPublicKey()]) + "\n");
        Mint(SupervisorCreds(environment), fresh, account.GetPublicKey(), $"supervisor-{environment}");
        Mint(OperatorCreds(environment), fresh, account.GetPublicKey(), $"operator-{environment}");
        WriteServerConfig();
    }

    /// <summary>
    /// The last step: the account JWT lists the new signing key only, the previous key is deleted, and
    /// nats-server.conf is rewritten. Once nats-server reloads it, every user the previous key signed
    /// is refused.
    /// </summary>
    /// <exception cref="InvalidOperationException">No rotation is under way.</exception>
    public void RetireSigningKey(string environment)
    {
        if (!File.Exists(PreviousSigningKey(environment)))
        {
            throw new InvalidOperationException($"no rotation of {environment}'s signing key is under way (start one: nimmerverse identities rotate-key {Directory} {environment})");
        }

        using var operatorKey = KeyPair.FromSeed(File.ReadAllText(OperatorKey).Trim());
        using var account = KeyPair.FromSeed(File.ReadAllText(AccountKey(environment)).Trim());
        using var current = KeyPair.FromSeed(File.ReadAllText(SigningKey(environment)).Trim());
        File.WriteAllText(AccountJwt(environment), NatsJwt.Account(operatorKey, account.GetPublicKey(), environment, [current.GetPublicKey()]) + "\n");
        File.Delete(PreviousSigningKey(environment));
        WriteServerConfig();
    }

    /// <summary>nats-server.conf from the operator's and the accounts' JWTs as they are on disk.</summary>
    private void WriteServerConfig()
    {
        string Jwt(string path) => File.ReadAllText(path).Trim();
        var preload = new[] { SystemAccount }.Concat(Environments.All)
            .Select(account => $"  {NatsJwt.Subject(Jwt(AccountJwt(account)))}: \"{Jwt(AccountJwt(account))}\"");
        var config = $$"""
            # NATS decentralized auth for nimmerverse, written by `nimmerverse identities`.
            # Include it from nats-server's configuration (include ./nats-server.conf).
            operator: "{{Jwt(Path.Combine(Directory, "operator.jwt"))}}"
            system_account: {{NatsJwt.Subject(Jwt(AccountJwt(SystemAccount)))}}
            resolver: MEMORY
            resolver_preload: {
            {{string.Join("\n", preload)}}
            }

            """;
        File.WriteAllText(ServerConfig, config);
    }

    /// <summary>The paths of the identities in <paramref name="directory"/>, whether or not they exist yet.</summary>
    public static NatsIdentities At(string directory) => new(directory);

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
        if (!File.Exists(path))
        {
            Mint(path, signing, account, name);
        }
    }

    private static void Mint(string path, KeyPair signing, string account, string name)
    {
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
        return new NpcMinter(signing, NatsJwt.Subject(File.ReadAllText(accountJwtPath).Trim()), subjects);
    }

    /// <summary>
    /// A new user for NPC <paramref name="npcId"/>, as the text of a <c>.creds</c> file: it is handed to the
    /// brain on its standard input and never written to disk. <paramref name="expires"/>: none by default
    /// (a brain keeps its user for its life; a restart mints a new one).
    /// </summary>
    public string Mint(int npcId, DateTimeOffset? expires = null)
    {
        using var user = KeyPair.CreatePair(PrefixByte.User);
        var permissions = new NatsPermissions(subjects.NpcMayPublish(npcId), subjects.NpcMaySubscribe(npcId));
        return CredsFile.Format(NatsJwt.User(signingKey, accountPublicKey, user.GetPublicKey(), $"npc-{npcId}", permissions, expires), user.GetSeed());
    }
}
