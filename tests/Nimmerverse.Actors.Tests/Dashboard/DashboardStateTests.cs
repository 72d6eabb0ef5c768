using System.Text.Json;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Dashboard;

[Category(TestTier.Unit)]
public sealed class DashboardStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static NpcStateBody State(int id, double cpuMs = 0, bool paused = false) =>
        new(id, Tick: 10, TickRateHz: 10, MeasuredRateHz: 9.5, TickLagMs: 1, Node: 0, Episode: 3, SuccessRate: 0.5, RewardRate: 0.25, Loss: 0, Lifeforce: 20, CpuMs: cpuMs, Paused: paused, Level: 1, Epsilon: 0.3);

    private static DashboardState NewState(DashboardSettings? settings = null) => new(settings ?? new DashboardSettings(), "dev", "theia");

    [Test]
    public void A_delta_carries_only_what_changed_since_the_last_frame()
    {
        var state = NewState();
        state.Npc(State(1), Start);
        state.Npc(State(2), Start);
        Assert.That(state.Delta(Start, null).Npcs.Select(n => n.NpcId), Is.EqualTo(new[] { 1, 2 }));

        state.Npc(State(2), Start.AddMilliseconds(100));
        var delta = state.Delta(Start.AddMilliseconds(100), null);

        Assert.That(delta.Npcs.Select(n => n.NpcId), Is.EqualTo(new[] { 2 }));
        Assert.That(state.Delta(Start.AddMilliseconds(200), null).IsEmpty, Is.True, "nothing new, nothing to send");
    }

    [Test]
    public void CPU_use_is_measured_over_a_second_or_more_of_the_brains_own_CPU_time()
    {
        var state = NewState();
        state.Npc(State(1, cpuMs: 1000), Start);
        state.Npc(State(1, cpuMs: 1100), Start.AddMilliseconds(500));
        Assert.That(state.Page(0, 10, Start.AddMilliseconds(500)).Npcs[0].CpuPercent, Is.Null, "half a second is too short to say");

        state.Npc(State(1, cpuMs: 1250), Start.AddSeconds(2));

        Assert.That(state.Page(0, 10, Start.AddSeconds(2)).Npcs[0].CpuPercent, Is.EqualTo(12.5), "250 ms of CPU in 2 s");
    }

    [Test]
    public void An_NPC_not_heard_from_is_silent_and_one_that_exited_says_so()
    {
        var state = NewState(new DashboardSettings { SilentAfter = TimeSpan.FromSeconds(5) });
        state.Npc(State(1), Start);
        state.Npc(State(2), Start);
        state.Lifecycle("theia", new NpcLifecycleBody(2, "exited", ExitCode: 1, Restarts: 3), Start.AddSeconds(1));

        var rows = state.Page(0, 10, Start.AddSeconds(6)).Npcs;

        Assert.That(rows.Select(r => (r.NpcId, r.State, r.Host, r.Restarts)), Is.EqualTo(new[] { (1, "silent", (string?)null, 0), (2, "exited", "theia", 3) }));
    }

    [Test]
    public void The_governors_allocation_sets_quotas_gates_and_its_own_view()
    {
        var state = NewState();
        state.Npc(State(1), Start);
        state.Hosted("theia", [1]);
        state.Allocation(new AllocationBody(7, [new NpcAllocation(1, 10, 40, true, 5), new NpcAllocation(2, 5, 20, false, 0)], "learned", 0.75), Start);
        state.Allocation(new AllocationBody(8, [new NpcAllocation(1, 10, 40, true, 5), new NpcAllocation(2, 5, 20, false, 0)], "learned", 0.8), Start.AddSeconds(2));
        state.Cluster(new ClusterView("self", null, [], new Dictionary<string, string?>(), new Dictionary<string, double>(), 150));

        var frame = state.Delta(Start.AddSeconds(2), null);

        Assert.That(frame.Npcs.Single() is { CpuQuotaPercent: 40, GateOpen: true, Host: "theia" });
        Assert.That(frame.Governor, Is.EqualTo(new GovernorView(8, "learned", 0.8, 2, 1, 30, 1, Start.AddSeconds(2))), "2 decisions over 2 s: one trail a second");
        Assert.That(frame.Cluster!.HostCpuQuotaPercent, Is.EqualTo(new Dictionary<string, double> { ["theia"] = 40 }));
    }

    [Test]
    public void Thalamus_gates_are_shown_and_their_crossings_kept_but_the_governors_per_NPC_gates_are_not_gates()
    {
        var state = NewState();
        state.GateTransition(new GateTransitionBody("thalamus.proximity", "proximity", GateState.Stable, GateState.Open, 0.6, 0.9, [], 3), Start);
        state.GateTransition(new GateTransitionBody("governor.npc.3.llm", "llm", GateState.Closed, GateState.Open, 1, 0, [], 3), Start);
        state.Gate("proximity", GateState.Open, 0.55, Start.AddSeconds(1));

        var snapshot = state.Snapshot(Start.AddSeconds(1), null);

        Assert.That(snapshot.Gates, Is.EqualTo(new[] { new GateRow("proximity", "open", 0.55, Start) }));
        Assert.That(snapshot.GateChanges.Select(c => c.GateId), Is.EqualTo(new[] { "thalamus.proximity" }));
    }

    [Test]
    public void Waves_beyond_a_frames_share_are_counted_not_queued_and_keep_their_category()
    {
        var state = NewState(new DashboardSettings { MaxWavesPerFrame = 3 });
        for (var i = 0; i < 5; i++)
        {
            state.Wave("dev.nervous.cells.sensor.wave", "proximity", "sensor@theia", 0.1 * i, Start.AddMilliseconds(i));
        }

        state.Wave("dev.organs.vision.wave", "vision", "organs@theia", 0.9, Start.AddMilliseconds(9));
        var delta = state.Delta(Start.AddMilliseconds(10), null);

        Assert.That(delta.Waves.Select(w => w.Category), Is.EqualTo(new[] { "nervous", "nervous", "nervous" }));
        Assert.That(state.WavesThinned, Is.EqualTo(3));
        Assert.That(state.Snapshot(Start.AddMilliseconds(10), null).Waves.Select(w => w.Category).Last(), Is.EqualTo("organs"), "the snapshot keeps every recent wave");
    }

    [Test]
    public void A_frame_is_snake_case_JSON_the_page_can_read()
    {
        var state = NewState();
        state.Npc(State(4, paused: true), Start);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(state.Snapshot(Start, null), DashboardJsonContext.Default.DashboardFrame));

        var npc = json.RootElement.GetProperty("npcs")[0];
        Assert.That(json.RootElement.GetProperty("type").GetString(), Is.EqualTo("snapshot"));
        Assert.That(json.RootElement.GetProperty("environment").GetString(), Is.EqualTo("dev"));
        Assert.That(npc.GetProperty("npc_id").GetInt32(), Is.EqualTo(4));
        Assert.That(npc.GetProperty("state").GetString(), Is.EqualTo("paused"));
        Assert.That(npc.GetProperty("measured_rate_hz").GetDouble(), Is.EqualTo(9.5));
    }
}
