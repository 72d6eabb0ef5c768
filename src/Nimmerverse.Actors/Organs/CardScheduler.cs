namespace Nimmerverse.Actors.Organs;

/// <summary>
/// Which model each card holds, and what it does next. A card holds at most one model and works
/// one request at a time. Waiting requests are grouped by model: a card keeps serving its resident
/// model while that model has work, so mixed requests do not thrash between models; another model
/// takes the card only when the resident one is idle, or when the other's oldest request has
/// waited <c>maxWait</c>, and never before the resident model has held the card for
/// <c>minResidency</c> (so neither thrash nor starvation). A model is never loaded on two cards,
/// and a request whose requester has gone is dropped (a load nobody waits for any more can then be
/// cancelled: <see cref="Wanted"/>). Unloading idle models is the caller's business. Not
/// thread-safe: one actor owns it.
/// </summary>
public sealed class CardScheduler
{
    private readonly TimeSpan _minResidency;
    private readonly TimeSpan _maxWait;
    private readonly TimeProvider _clock;
    private readonly List<Card> _cards;
    private readonly Dictionary<string, LinkedList<Waiting>> _queues = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, LinkedListNode<Waiting>> _byId = [];

    public CardScheduler(IReadOnlyList<string> cards, TimeSpan minResidency, TimeSpan maxWait, TimeProvider? clock = null)
    {
        if (cards.Count == 0 || cards.Distinct(StringComparer.Ordinal).Count() != cards.Count)
        {
            throw new ArgumentException("at least one card, each named once", nameof(cards));
        }

        (_minResidency, _maxWait, _clock) = (minResidency, maxWait, clock ?? TimeProvider.System);
        _cards = [.. cards.Select(name => new Card(name))];
    }

    /// <summary>A request waiting for its model.</summary>
    public sealed record Waiting(Guid RequestId, string Model, long ArrivedAt);

    /// <summary>What a card should do now.</summary>
    public abstract record Decision(string Card);

    /// <summary>The card holds the request's model and is free: process the request (it is no longer waiting).</summary>
    public sealed record Serve(string Card, Waiting Request) : Decision(Card);

    /// <summary>Load <paramref name="Model"/> on the card, after unloading <paramref name="Evicting"/> if it holds one.</summary>
    public sealed record Load(string Card, string Model, string? Evicting) : Decision(Card);

    private sealed class Card(string name)
    {
        public string Name { get; } = name;

        /// <summary>The model it holds or is loading; null when empty.</summary>
        public string? Model { get; set; }

        public bool Loading { get; set; }

        public bool Busy { get; set; }

        public long ResidentSince { get; set; }

        /// <summary>Whether its model has served a request since it was loaded: a load is paid for by at least one.</summary>
        public bool ServedSinceLoad { get; set; }
    }

    /// <summary>Requests waiting, in all.</summary>
    public int WaitingCount => _byId.Count;

    /// <summary>The model each card holds or loads (null: empty).</summary>
    public IReadOnlyDictionary<string, string?> Occupancy => _cards.ToDictionary(c => c.Name, c => c.Model, StringComparer.Ordinal);

    public void Enqueue(Guid requestId, string model)
    {
        if (!_queues.TryGetValue(model, out var queue))
        {
            _queues[model] = queue = new LinkedList<Waiting>();
        }

        _byId.Add(requestId, queue.AddLast(new Waiting(requestId, model, _clock.GetTimestamp())));
    }

    /// <summary>The requester gave up: the request no longer waits. Whether it was waiting.</summary>
    public bool Cancel(Guid requestId)
    {
        if (!_byId.Remove(requestId, out var node))
        {
            return false;
        }

        node.List!.Remove(node);
        return true;
    }

    /// <summary>Whether any request waits for <paramref name="model"/> (a load nobody wants any more can be cancelled).</summary>
    public bool Wanted(string model) => _queues.TryGetValue(model, out var queue) && queue.Count > 0;

    /// <summary>
    /// Places <paramref name="model"/> on an empty, idle card ahead of any request (a pre-warm): the
    /// card, now loading it, or null when the model already has a card or no card is free (a
    /// pre-warm never evicts).
    /// </summary>
    public string? Place(string model)
    {
        if (_cards.Any(c => c.Model == model) || _cards.Find(c => c.Model is null && !c.Busy) is not { } card)
        {
            return null;
        }

        (card.Model, card.Loading) = (model, true);
        return card.Name;
    }

    /// <summary>The model is loaded on the card: its residency starts now.</summary>
    public void Loaded(string card) => With(card, c => (c.Loading, c.ResidentSince, c.ServedSinceLoad) = (false, _clock.GetTimestamp(), false));

    /// <summary>The card's model is being unloaded: nothing is placed on it until it is <see cref="Emptied"/>.</summary>
    public void Unloading(string card) => With(card, c => (c.Model, c.Loading, c.Busy) = (null, true, false));

    /// <summary>The card is empty (unloaded, a load cancelled or failed, its process dead).</summary>
    public void Emptied(string card) => With(card, c => (c.Model, c.Loading, c.Busy) = (null, false, false));

    /// <summary>The request the card was processing has ended.</summary>
    public void Finished(string card) => With(card, c => c.Busy = false);

    /// <summary>What every card that can act should do now; each decision is taken (a served request leaves the queue, a load marks the card).</summary>
    public IReadOnlyList<Decision> Decide()
    {
        var decisions = new List<Decision>();
        foreach (var card in _cards.Where(c => !c.Loading && !c.Busy))
        {
            if (DecideFor(card) is { } decision)
            {
                decisions.Add(decision);
            }
        }

        return decisions;
    }

    private Decision? DecideFor(Card card)
    {
        var now = _clock.GetTimestamp();
        var resident = card.Model;
        var settled = resident is null || _clock.GetElapsedTime(card.ResidentSince, now) >= _minResidency;
        var other = LongestWaitingElsewhere();
        if (resident is not null && Wanted(resident))
        {
            // Its own model has work: it stays, unless another has waited too long and this one has had its
            // time and served at least once since its load (else two starving models take the card from
            // each other, load after load, and neither is ever served).
            var starving = other is not null && _clock.GetElapsedTime(other.ArrivedAt, now) >= _maxWait;
            return starving && settled && card.ServedSinceLoad ? Take(card, other!.Model) : ServeNext(card, resident);
        }

        return other is not null && settled ? Take(card, other.Model) : null;
    }

    /// <summary>The oldest waiting request of a model that no card holds or loads.</summary>
    private Waiting? LongestWaitingElsewhere() =>
        _queues.Values
            .Where(queue => queue.Count > 0 && !_cards.Any(c => c.Model == queue.First!.Value.Model))
            .Select(queue => queue.First!.Value)
            .MinBy(waiting => waiting.ArrivedAt);

    private Load Take(Card card, string model)
    {
        var evicting = card.Model;
        (card.Model, card.Loading, card.Busy) = (model, true, false);
        return new Load(card.Name, model, evicting);
    }

    private Serve ServeNext(Card card, string model)
    {
        var next = _queues[model].First!.Value;
        Cancel(next.RequestId);
        (card.Busy, card.ServedSinceLoad) = (true, true);
        return new Serve(card.Name, next);
    }

    private void With(string name, Action<Card> change) =>
        change(_cards.Find(c => c.Name == name) ?? throw new ArgumentException($"no card '{name}'", nameof(name)));
}
