using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;

namespace Nimmerverse.Testing.Fuzz;

/// <summary>What a fuzz run sent, and what came back to its reply subjects.</summary>
public sealed record FuzzSent(int Messages, IReadOnlyDictionary<string, int> ByMutation, IReadOnlyDictionary<string, int> ByTarget, IReadOnlyDictionary<string, int> RepliesByType, TimeSpan Took);

/// <summary>
/// Sends <see cref="HostileEnvelopes"/> to every subject a supervisor listens on, round-robin, at
/// a steady rate, each with a reply subject of the fuzzer's own, so that answers (and refusals)
/// are counted. The targets are read from the supervisor itself (<c>/api/status</c> lists the
/// bridge's subscriptions) plus the gate stream's subjects, which JetStream, not the bridge, takes.
/// </summary>
public static class HostileFuzzer
{
    public static IReadOnlyList<FuzzTarget> TargetsOf(JsonElement status)
    {
        var environment = status.GetProperty("environment").GetString()!;
        var targets = status.GetProperty("nats").GetProperty("subscriptions").EnumerateArray()
            .Select(s => new FuzzTarget(s.GetProperty("subject").GetString()!, s.GetProperty("message_type").GetString()!))
            .Append(new FuzzTarget($"{environment}.thalamus.gate.open", "gate_transition"))
            .Distinct()
            .ToList();
        // One NPC's own subscription (dev.npc.5.state) is fuzzed through the wildcard that covers it
        // (dev.npc.*.state), which reaches it too; otherwise 25 of them would crowd out the rest.
        return [.. targets.Where(t => !targets.Any(other => other != t && other.MessageType == t.MessageType && Covers(other.SubjectPattern, t.SubjectPattern)))];
    }

    private static bool Covers(string pattern, string subject)
    {
        var (patternTokens, subjectTokens) = (pattern.Split('.'), subject.Split('.'));
        return patternTokens.Length == subjectTokens.Length
            && patternTokens.Zip(subjectTokens).All(p => p.First == p.Second || (p.First == "*" && p.Second != "*"));
    }

    public static async Task<FuzzSent> RunAsync(INatsConnection connection, IReadOnlyList<FuzzTarget> targets, int count, double perSecond, int seed, int population, CancellationToken cancellationToken = default)
    {
        if (targets.Count == 0)
        {
            throw new ArgumentException("nothing to fuzz: the supervisor reported no subscriptions", nameof(targets));
        }

        var generator = new HostileEnvelopes(seed, population);
        var byMutation = new Dictionary<string, int>();
        var byTarget = new Dictionary<string, int>();
        var replies = new ConcurrentDictionary<string, int>();
        var inbox = $"_INBOX.fuzz{seed}";
        await using var answers = await connection.SubscribeCoreAsync<byte[]>($"{inbox}.>", cancellationToken: cancellationToken).ConfigureAwait(false);
        var counting = Task.Run(async () =>
        {
            await foreach (var answer in answers.Msgs.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                replies.AddOrUpdate(MessageTypeOf(answer.Data), 1, (_, n) => n + 1);
            }
        }, cancellationToken);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var target = targets[i % targets.Count];
            var message = generator.Next(target);
            await connection.PublishAsync(message.Subject, message.Payload, replyTo: $"{inbox}.{i.ToString(CultureInfo.InvariantCulture)}", cancellationToken: cancellationToken).ConfigureAwait(false);
            byMutation[message.Mutation] = byMutation.GetValueOrDefault(message.Mutation) + 1;
            byTarget[target.SubjectPattern] = byTarget.GetValueOrDefault(target.SubjectPattern) + 1;
            var due = TimeSpan.FromSeconds((i + 1) / perSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken).ConfigureAwait(false);
            }
        }

        var took = clock.Elapsed;
        // Answers still on their way.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        await answers.UnsubscribeAsync().ConfigureAwait(false);
        await counting.ConfigureAwait(false);
        return new FuzzSent(count, byMutation, byTarget, new Dictionary<string, int>(replies), took);
    }

    private static string MessageTypeOf(byte[]? payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload ?? []);
            return document.RootElement.GetProperty("header").GetProperty("message_type").GetString() ?? "?";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "not an envelope"; // JetStream's publish acknowledgements, for one
        }
    }
}
