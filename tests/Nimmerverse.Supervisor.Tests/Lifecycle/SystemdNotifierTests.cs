using System.Net.Sockets;
using System.Text;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Lifecycle;

/// <summary>The sd_notify protocol, received on a socket bound the way systemd binds $NOTIFY_SOCKET.</summary>
[Category(TestTier.Unit)]
public sealed class SystemdNotifierTests
{
    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        socket.ReceiveTimeout = 5000;
        return Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
    }

    [Test]
    public void Ready_status_stopping_and_watchdog_reach_a_path_socket()
    {
        var path = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            using var notifier = new SystemdNotifier(path);

            notifier.Ready("running; cluster: 1 member (1 up)");
            notifier.Status("running; cluster: 2 members (2 up)");
            notifier.WatchdogPing();
            notifier.Stopping("stopping: leaving the cluster");

            Assert.That(notifier.IsEnabled, Is.True);
            Assert.That(Receive(systemd), Is.EqualTo("READY=1\nSTATUS=running; cluster: 1 member (1 up)"));
            Assert.That(Receive(systemd), Is.EqualTo("STATUS=running; cluster: 2 members (2 up)"));
            Assert.That(Receive(systemd), Is.EqualTo("WATCHDOG=1"));
            Assert.That(Receive(systemd), Is.EqualTo("STOPPING=1\nSTATUS=stopping: leaving the cluster"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void An_at_sign_names_an_abstract_socket()
    {
        var name = $"nimmerverse-test-{Guid.NewGuid():N}";
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint("\0" + name));
        using var notifier = new SystemdNotifier("@" + name);

        notifier.WatchdogPing();

        Assert.That(Receive(systemd), Is.EqualTo("WATCHDOG=1"));
    }

    [Test]
    public void Without_a_notify_socket_every_call_is_a_no_op()
    {
        using var notifier = new SystemdNotifier(null);

        Assert.That(notifier.IsEnabled, Is.False);
        Assert.DoesNotThrow(() => notifier.Ready("running"));
    }
}

[Category(TestTier.Unit)]
public sealed class WatchdogSettingsTests
{
    private static Func<string, string?> Variables(string? usec, string? pid) => name => name switch
    {
        "WATCHDOG_USEC" => usec,
        "WATCHDOG_PID" => pid,
        _ => null,
    };

    [Test]
    public void The_timeout_comes_from_WATCHDOG_USEC_and_pings_go_at_a_third_of_it()
    {
        var settings = WatchdogSettings.FromEnvironment(Variables("30000000", null), 100);

        Assert.That(settings!.Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(settings.PingInterval, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(settings.ProbeTimeout, Is.LessThan(settings.PingInterval));
    }

    [Test]
    public void A_watchdog_meant_for_another_process_is_ignored()
    {
        Assert.That(WatchdogSettings.FromEnvironment(Variables("30000000", "99"), 100), Is.Null);
        Assert.That(WatchdogSettings.FromEnvironment(Variables("30000000", "100"), 100), Is.Not.Null);
    }

    [TestCase(null)]
    [TestCase("0")]
    [TestCase("soon")]
    public void No_usable_WATCHDOG_USEC_means_no_watchdog(string? usec)
    {
        Assert.That(WatchdogSettings.FromEnvironment(Variables(usec, null), 100), Is.Null);
    }
}

[Category(TestTier.Unit)]
public sealed class StatusLineTests
{
    private sealed class Fixed(int order, string text) : IStatusContributor
    {
        public int Order => order;

        public string Describe() => text;
    }

    [Test]
    public void Contributions_follow_the_phase_in_order_on_one_line()
    {
        var line = new StatusLine([new Fixed(2, "npcs: 25"), new Fixed(1, "nats: connected\nto 127.0.0.1")]);

        Assert.That(line.Compose("running"), Is.EqualTo("running; nats: connected to 127.0.0.1; npcs: 25"));
    }
}
