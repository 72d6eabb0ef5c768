using System.Text.Json;
using Akka.Actor;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cells;

/// <summary>
/// How every cell talks back: a <c>cell_response</c> on the request's reply subject when it has one
/// and always on <c>{env}.nervous.cells.{cell}.response</c>, correlated with the request; and waves
/// on <c>{env}.nervous.cells.{cell}.wave</c>.
/// </summary>
public sealed class CellReplies(IActorRef bridge, Subjects subjects, string cell, MessageSource source)
{
    public MessageSource Source => source;

    /// <summary>A cell's voice: it speaks as <c>{cell}@{host}</c>, entity type <c>cell</c>, tier 1.</summary>
    public static CellReplies ForCell(IActorRef bridge, Subjects subjects, string cell, string hostName) =>
        new(bridge, subjects, cell, new MessageSource($"{cell}@{hostName}", "cell", 1));

    /// <summary>The meter that charges this cell's transitions to the ledger under its entity id.</summary>
    public LifeforceMeter Meter(IActorRef ledger) => new(ledger, source.EntityId);

    public void Answer(Inbound<CellRequestBody> request, double? result, string? error)
    {
        var response = Envelopes.Of(source,
            new CellResponseBody(result, error), correlationId: request.Envelope.Header.MessageId);
        if (request.ReplyTo is { } replyTo)
        {
            bridge.Tell(new Reply<CellResponseBody>(replyTo, response));
        }

        bridge.Tell(new Publish<CellResponseBody>(subjects.CellResponse(cell), response));
    }

    /// <summary>Emits a wave; <paramref name="causedBy"/> is the message that led to it (a request), if any.</summary>
    public void Wave(string domain, double confidence, JsonElement content, double lifeforceCost, Guid? causedBy = null) =>
        bridge.Tell(new Publish<WaveBody>(subjects.CellWave(cell), Envelopes.Of(source,
            new WaveBody(domain, Math.Clamp(confidence, 0, 1), content, lifeforceCost), correlationId: causedBy)));

    /// <summary>Subscribes <paramref name="self"/> to the cell's request subject, in a queue group shared by every host.</summary>
    public void Listen(IActorRef self) =>
        bridge.Tell(new Subscribe<CellRequestBody>(subjects.CellRequest(cell), self, $"nimmerverse-{cell}"));

    /// <summary>Wave content: a small JSON object of the cell's own fields.</summary>
    public static JsonElement Content(params (string Name, object? Value)[] fields) =>
        JsonSerializer.SerializeToElement(fields.ToDictionary(f => f.Name, f => f.Value), CellJsonContext.Default.DictionaryStringObject);
}
