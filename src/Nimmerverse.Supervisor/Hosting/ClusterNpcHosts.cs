using Akka.Actor;
using Akka.Cluster;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// Finds the NPC host actor that runs a host's NPCs: this member's own, or the one at
/// <c>/user/npc-host</c> on the member that is up with the role <see cref="ClusterRoles.OfHost"/>
/// of that host name. Null when no such member is up (a host that left, or not yet joined).
/// </summary>
public sealed class ClusterNpcHosts(ActorSystem system, string localHostName, Func<IActorRef?> localNpcHost)
{
    public ICanTell? Find(string hostName)
    {
        if (hostName == localHostName)
        {
            return localNpcHost();
        }

        var role = ClusterRoles.OfHost(hostName);
        var member = Cluster.Get(system).State.Members.FirstOrDefault(m => m.Status == MemberStatus.Up && m.HasRole(role));
        return member is null ? null : system.ActorSelection(new RootActorPath(member.Address) / "user" / NpcHostActor.ActorName);
    }
}
