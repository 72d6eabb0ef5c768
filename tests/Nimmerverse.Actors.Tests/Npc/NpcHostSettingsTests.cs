using Nimmerverse.Actors.Npc;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

[Category(TestTier.Unit)]
public sealed class NpcHostSettingsTests
{
    private static string RoleOnCommandLine(NpcHostSettings settings, int npcId)
    {
        var arguments = settings.ArgumentsFor(npcId, "nats://127.0.0.1:4222", "dev", adoptable: true);
        return arguments[arguments.ToList().IndexOf("--role") + 1];
    }

    [Test]
    public void A_mix_of_roles_is_handed_out_by_npc_id_in_turn()
    {
        var settings = NpcHostSettings.Default with { Role = "small, medium,large" };

        Assert.That(Enumerable.Range(0, 7).Select(id => RoleOnCommandLine(settings, id)),
            Is.EqualTo(new[] { "small", "medium", "large", "small", "medium", "large", "small" }));
    }

    [Test]
    public void One_role_goes_to_every_brain()
    {
        var settings = NpcHostSettings.Default with { Role = "large" };

        Assert.That(Enumerable.Range(0, 3).Select(id => RoleOnCommandLine(settings, id)), Is.All.EqualTo("large"));
    }
}
