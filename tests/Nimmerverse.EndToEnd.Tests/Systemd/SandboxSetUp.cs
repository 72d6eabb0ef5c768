using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Systemd;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>
/// One real systemd for every test in this namespace (only one can own the cgroup tree at a
/// time), with the supervisor installed by the entry script's own <c>install</c> command.
/// </summary>
[SetUpFixture]
public sealed class SandboxSetUp
{
    public static SystemdSandbox Sandbox { get; private set; } = null!;

    /// <summary>The NATS the installed daemon talks to (the sandbox shares the host's network).</summary>
    public static NatsServer Nats { get; private set; } = null!;

    /// <summary>The sandbox shares the host's network, so the daemon's HTTP port is reachable from the tests.</summary>
    public static Uri HttpBase { get; private set; } = null!;

    public const string HostName = "sandbox-node";

    /// <summary>
    /// Per-run settings the tests rely on, in the unit's environment file. Every role but the
    /// governor: these tests check the limits the supervisor itself gives each brain, which a
    /// governor would retune every epoch (the governor is tested in-process, GovernorInTheSupervisorTests).
    /// </summary>
    public static string EnvironmentFile { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task BootAndInstall()
    {
        await Published.EnsureAsync();
        Nats = await NatsServer.StartAsync();
        Sandbox = await SystemdSandbox.StartAsync();
        var install = await Sandbox.RunAsync(
            [Path.Combine(RepositoryPaths.Root, "nimmerverse"), "install", "--prefix", "/opt/nimmerverse"],
            new Dictionary<string, string> { ["NV_PUBLISH_DIR"] = RepositoryPaths.PublishDirectory });
        Assert.That(install.ExitCode, Is.Zero, install.ToString());

        HttpBase = new Uri($"http://127.0.0.1:{Ports.FreeTcpPort()}");
        EnvironmentFile = $"""
            NIMMERVERSE_HOSTNAME={HostName}
            NIMMERVERSE_NATS__URL={Nats.Url}
            NIMMERVERSE_AKKA__PORT={Ports.FreeTcpPort()}
            NIMMERVERSE_HTTP__LISTEN={HttpBase.ToString().TrimEnd('/')}
            NIMMERVERSE_NPC__POPULATION=0
            NIMMERVERSE_ROLES__0=cells
            NIMMERVERSE_ROLES__1=nerves
            NIMMERVERSE_ROLES__2=thalamus
            NIMMERVERSE_ROLES__3=world
            NIMMERVERSE_ROLES__4=npc-host
            """;
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.env", EnvironmentFile);
        var reload = await Sandbox.SystemctlAsync("daemon-reload");
        Assert.That(reload.ExitCode, Is.Zero, reload.ToString());
    }

    [OneTimeTearDown]
    public async Task PowerOff()
    {
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }

        if (Nats is not null)
        {
            await Nats.DisposeAsync();
        }
    }
}
