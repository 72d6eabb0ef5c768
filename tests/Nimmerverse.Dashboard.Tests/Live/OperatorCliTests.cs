using System.Text.Json;
using Npgsql;
using Nimmerverse.Testing;

namespace Nimmerverse.Dashboard.Tests.Live;

/// <summary>The published <c>nimmerverse</c> binary's operator verbs against the running supervisor, as a person types them.</summary>
[Category(TestTier.Integration)]
[NonParallelizable]
public sealed class OperatorCliTests
{
    private static async Task<ProcessResult> NimmerverseAsync(params string[] args) =>
        await ProcessRunner.RunAsync(Path.Combine(RepositoryPaths.PublishDirectory, "nimmerverse"), [.. args, "--url", LiveOrganism.Dashboard.ToString()], timeout: TimeSpan.FromSeconds(60));

    private static async Task<JsonElement> NpcAsync(int id)
    {
        var listed = await NimmerverseAsync("npcs", "--json");
        Assert.That(listed.ExitCode, Is.Zero, listed.ToString());
        return listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).Single(n => n.GetProperty("npc_id").GetInt32() == id);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Npc_7_pause_pauses_it_and_resume_lets_it_go_on()
    {
        var paused = await NimmerverseAsync("npc", "7", "pause", "--token-file", LiveOrganism.TokenFile);
        Assert.That(paused.ExitCode, Is.Zero, paused.ToString());
        Assert.That(paused.StandardOutput, Does.StartWith("NPC 7: pause done; it reports paused"));
        Assert.That((await NpcAsync(7)).GetProperty("state").GetString(), Is.EqualTo("paused"));

        var resumed = await NimmerverseAsync("npc", "7", "resume", "--token-file", LiveOrganism.TokenFile);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That((await NpcAsync(7)).GetProperty("state").GetString(), Is.EqualTo("running"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Actions_are_refused_with_the_documented_exit_codes_and_every_one_is_kept()
    {
        var noToken = await NimmerverseAsync("npc", "7", "pause");
        var noSuchNpc = await NimmerverseAsync("npc", "99", "pause", "--token-file", LiveOrganism.TokenFile);
        var badRate = await NimmerverseAsync("npc", "7", "rate", "50", "--token-file", LiveOrganism.TokenFile);
        var quota = await NimmerverseAsync("npc", "7", "quota", "30", "--token-file", LiveOrganism.TokenFile, "--json");

        Assert.That((noToken.ExitCode, noToken.StandardError), Is.EqualTo((77, "an operator token is needed (Authorization: Bearer ...)\n")));
        Assert.That((noSuchNpc.ExitCode, noSuchNpc.StandardError), Is.EqualTo((65, "NPC 99 has not been heard from\n")));
        Assert.That((badRate.ExitCode, badRate.StandardError), Is.EqualTo((64, "rate needs hz within 1..20\n")));
        using var quotaAnswer = JsonDocument.Parse(quota.StandardError);
        Assert.That(quota.ExitCode, Is.EqualTo(75), "this organism runs its brains without systemd: no quota can be applied");
        Assert.That(quotaAnswer.RootElement.GetProperty("detail").GetString(), Does.Contain("limits are not enforced"));

        await using var database = NpgsqlDataSource.Create(LiveOrganism.DatabaseConnectionString);
        await using var kept = database.CreateCommand("select action, target, outcome from operator_actions where target in ('npc 7', 'npc 99') and action <> 'resume' order by occurred_at");
        var rows = new List<string>();
        await using (var reader = await kept.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)}");
            }
        }

        Assert.That(rows, Is.SupersetOf(new[] { "pause npc 7 refused", "pause npc 99 refused", "rate npc 7 refused", "quota npc 7 refused" }));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task The_read_verbs_print_tables_for_people_and_JSON_lines_for_scripts()
    {
        var table = await NimmerverseAsync("npcs");
        var gates = await NimmerverseAsync("gates", "--json");
        var members = await NimmerverseAsync("cluster", "members");
        var status = await NimmerverseAsync("status", "--json");

        Assert.That(table.ExitCode, Is.Zero, table.ToString());
        var lines = table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("ID  HOST"));
        Assert.That(lines, Has.Length.EqualTo(LiveOrganism.Npcs + 1));
        Assert.That(gates.ExitCode, Is.Zero, gates.ToString());
        Assert.That(gates.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("state").GetString()), Has.All.AnyOf("open", "stable", "closed"));
        Assert.That(members.StandardOutput, Does.Contain(" up ").And.Contain("leader: akka.tcp://nimmerverse@"));
        Assert.That(JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("environment").GetString(), Is.EqualTo("dev"));
    }
}
