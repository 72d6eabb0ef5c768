using Akka.Actor;
using Akka.Cluster;

namespace Nimmerverse.Supervisor.Systemd;

/// <summary>"cluster: 3 members (3 up)" from this node's view of the membership.</summary>
public sealed class ClusterStatusContributor(IServiceProvider services) : IStatusContributor
{
    public int Order => 0;

    public string Describe()
    {
        if (services.GetService(typeof(ActorSystem)) is not ActorSystem system)
        {
            return "cluster: starting";
        }

        var state = Cluster.Get(system).State;
        var members = state.Members.Count;
        var up = state.Members.Count(m => m.Status == MemberStatus.Up);
        var unreachable = state.Unreachable.Count;
        var text = $"cluster: {members} member{(members == 1 ? "" : "s")} ({up} up";
        return unreachable > 0 ? $"{text}, {unreachable} unreachable)" : text + ")";
    }
}
