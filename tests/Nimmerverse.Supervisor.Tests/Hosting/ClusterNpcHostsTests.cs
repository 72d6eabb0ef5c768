using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// Two members of a real Akka cluster over loopback remoting: the governor's member finds the NPC
/// host of another host by its host role, a quota travels there and the answer comes back.
/// </summary>
[Category(TestTier.Integration)]
public sealed class ClusterNpcHostsTests
{
    private static Config Member(params string[] roles) => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.roles = [{{string.Join(", ", roles.Select(r => $"\"{r}\""))}}]
        """);

    /// <summary>Stands in for the NPC host of the other member (the real one needs a population and systemd): answers as it does.</summary>
    private sealed class AnsweringNpcHost : ReceiveActor
    {
        public AnsweringNpcHost(TaskCompletionSource<NpcHostMessages.SetLimits> received) =>
            Receive<NpcHostMessages.SetLimits>(set =>
            {
                received.TrySetResult(set);
                Sender.Tell(new NpcHostMessages.LimitsSet(set.NpcId, true));
            });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_quota_for_an_NPC_on_another_host_reaches_that_hosts_NPC_host_and_its_answer_comes_back()
    {
        using var alpha = ActorSystem.Create("nimmerverse", Member(ClusterRoles.Governor, ClusterRoles.OfHost("alpha")));
        using var beta = ActorSystem.Create("nimmerverse", Member(ClusterRoles.NpcHost, ClusterRoles.OfHost("beta")));
        var received = new TaskCompletionSource<NpcHostMessages.SetLimits>(TaskCreationOptions.RunContinuationsAsynchronously);
        beta.ActorOf(Props.Create(() => new AnsweringNpcHost(received)), Nimmerverse.Actors.Npc.NpcHostActor.ActorName);
        var localNpcHost = alpha.ActorOf(Props.Empty, "local-npc-host");
        Cluster.Get(alpha).Join(Cluster.Get(alpha).SelfAddress);
        Cluster.Get(beta).Join(Cluster.Get(alpha).SelfAddress);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Cluster.Get(alpha).State.Members.Count(m => m.Status == MemberStatus.Up) == 2), TimeSpan.FromSeconds(30)), Is.True, "both members up");

        var hosts = new ClusterNpcHosts(alpha, "alpha", () => localNpcHost);
        Assert.That(hosts.Find("alpha"), Is.SameAs(localNpcHost), "this host's own NPC host");
        Assert.That(hosts.Find("gamma"), Is.Null, "no member for that host");
        var remote = hosts.Find("beta");
        Assert.That(remote, Is.InstanceOf<ActorSelection>());

        var quota = new NpcHostMessages.SetLimits(7, new ScopeLimits(42.5, 512L * 1024 * 1024, 64));
        var answer = await ((ActorSelection)remote!).Ask<NpcHostMessages.LimitsSet>(quota, TimeSpan.FromSeconds(10));
        Assert.That(await received.Task, Is.EqualTo(quota), "the same quota, serialized across the cluster");
        Assert.That(answer, Is.EqualTo(new NpcHostMessages.LimitsSet(7, true)));

        await Task.WhenAll(CoordinatedShutdown.Get(beta).Run(CoordinatedShutdown.ClrExitReason.Instance), CoordinatedShutdown.Get(alpha).Run(CoordinatedShutdown.ClrExitReason.Instance));
    }
}
