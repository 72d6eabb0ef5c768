using System.Text.Json;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cortex;

/// <summary>
/// Where a command of the cortex goes down: <c>npc-{id}</c> → an <c>npc_command</c> on
/// <c>{env}.npc.{id}.command</c> (<c>set_tick_rate</c> takes <c>tick_rate_hz</c> from the payload);
/// <c>nerve-{name}</c> → a <c>nerve_command</c> on <c>{env}.nervous.nerves.{name}.command</c> (<c>pause</c>
/// takes <c>duration_ms</c>). A command is checked as any message of its type; anything else is not routed, and says why.
/// </summary>
public static class DownstreamRouter
{
    /// <summary>A nerve's target; an NPC's is a requester name (<see cref="CortexRequesters.NpcIdOf"/>).</summary>
    public const string NervePrefix = "nerve-";

    /// <summary>The message to publish for <paramref name="command"/>, or why there is none.</summary>
    public static (IOutbound? Message, string? Problem) Route(DownstreamCommand command, Subjects subjects, MessageSource source, Guid correlationId)
    {
        if (CortexRequesters.NpcIdOf(command.Target) is { } npcId)
        {
            var body = new NpcCommandBody(command.Command, Number(command.Payload, "tick_rate_hz"));
            return body.Problem() is { } problem
                ? (null, $"{command.Target}: {problem}")
                : (new Publish<NpcCommandBody>(subjects.NpcCommand(npcId), Envelopes.Of(source, body, correlationId)), null);
        }

        if (command.Target.StartsWith(NervePrefix, StringComparison.Ordinal) && command.Target.Length > NervePrefix.Length)
        {
            var nerve = command.Target[NervePrefix.Length..];
            if (nerve.Contains('.', StringComparison.Ordinal) || !Subject.TryParse($"{subjects.Environment}.nervous.nerves.{nerve}.command", out _, out _))
            {
                return (null, $"'{command.Target}' names no nerve");
            }

            var duration = Number(command.Payload, "duration_ms");
            var body = new NerveCommandBody(command.Command, duration is { } ms && command.Command == "pause" ? (int)Math.Clamp(ms, 1, 600_000) : null);
            return body.Problem() is { } problem
                ? (null, $"{command.Target}: {problem}")
                : (new Publish<NerveCommandBody>(subjects.NerveCommand(nerve), Envelopes.Of(source, body, correlationId)), null);
        }

        return (null, $"'{(command.Target.Length > 32 ? command.Target[..32] + "…" : command.Target)}' is neither npc-{{id}} nor nerve-{{name}}");
    }

    private static double? Number(JsonElement payload, string name) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var value) && value.TryGetDouble(out var number) && double.IsFinite(number) ? number : null;
}
