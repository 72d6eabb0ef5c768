using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Nimmerverse.Supervisor.Cli;

/// <summary>
/// The operator verbs (<c>status</c>, <c>npcs</c>, <c>npc</c>, <c>gates</c>, <c>cluster</c>) over the supervisor's HTTP
/// API, the one the dashboard uses. Tables for people; with <c>--json</c>, JSON (JSON Lines for lists and streams).
/// Exit codes: 0 done, 64 a bad request, 65 no such NPC or member, 69 the supervisor cannot be reached,
/// 75 the action did not take effect, 77 not allowed (the operator token is missing or wrong).
/// </summary>
public sealed class OperatorCommand(TextWriter output, TextWriter error, HttpClient http, string? token, bool json)
{
    public const int ExitNoSuchThing = 65;
    public const int ExitUnavailable = 69;
    public const int ExitNotDone = 75;
    public const int ExitNotAllowed = 77;

    private static readonly string[] NpcColumns = ["npc_id", "host", "state", "tick_rate_hz", "measured_rate_hz", "cpu_quota_percent", "cpu_percent", "lifeforce", "level", "success_rate", "epsilon", "restarts", "gate_open"];
    private static readonly string[] NpcHeaders = ["ID", "HOST", "STATE", "RATE", "MEASURED", "QUOTA%", "CPU%", "LF", "LEVEL", "SUCCESS", "EXPLORE", "RESTARTS", "LLM"];

    public Task<int> StatusAsync(CancellationToken cancellationToken) => GetAsync("/api/status", status =>
    {
        output.WriteLine($"{status.GetProperty("host_name").GetString()} ({status.GetProperty("environment").GetString()}): {status.GetProperty("status").GetString()}");
        var nats = status.GetProperty("nats");
        output.WriteLine($"nats: {nats.GetProperty("state").GetString()}, {nats.GetProperty("received").GetInt64()} received, {nats.GetProperty("published").GetInt64()} published");
        foreach (var member in status.GetProperty("members").EnumerateArray())
        {
            output.WriteLine($"member {member.GetProperty("address").GetString()} {member.GetProperty("status").GetString()} [{string.Join(' ', member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()))}]");
        }
    }, cancellationToken);

    public Task<int> NpcsAsync(CancellationToken cancellationToken) => GetAsync("/api/npcs?limit=500", page =>
        Table(NpcHeaders, page.GetProperty("npcs").EnumerateArray().Select(npc => NpcColumns.Select(c => Cell(npc, c)).ToArray())), cancellationToken,
        jsonLines: page => page.GetProperty("npcs").EnumerateArray());

    public Task<int> GatesAsync(CancellationToken cancellationToken) => GetAsync("/api/gates", gates =>
        Table(["DOMAIN", "STATE", "VALUE", "CHANGED"], gates.EnumerateArray().Select(g => new[] { Cell(g, "domain"), Cell(g, "state"), Cell(g, "value"), Cell(g, "changed_at") })), cancellationToken,
        jsonLines: gates => gates.EnumerateArray());

    public Task<int> MembersAsync(CancellationToken cancellationToken) => GetAsync("/api/cluster", cluster =>
    {
        output.WriteLine($"leader: {Cell(cluster, "leader")}");
        Table(["ADDRESS", "HOST", "STATUS", "REACHABLE", "ROLES"], cluster.GetProperty("members").EnumerateArray().Select(m => new[]
        {
            Cell(m, "address"), Cell(m, "host"), Cell(m, "status"), m.GetProperty("reachable").GetBoolean() ? "yes" : "NO", string.Join(' ', m.GetProperty("roles").EnumerateArray().Select(r => r.GetString())),
        }));
    }, cancellationToken, jsonLines: cluster => cluster.GetProperty("members").EnumerateArray());

    /// <summary>Follows <c>/api/stream</c> and prints each NPC row as it changes, until cancelled.</summary>
    public async Task<int> WatchNpcsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var answer = await http.GetAsync(new Uri("/api/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccessStatusCode)
            {
                return await FailAsync(answer, cancellationToken).ConfigureAwait(false);
            }

            using var reader = new StreamReader(await answer.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                using var frame = JsonDocument.Parse(line["data: ".Length..]);
                foreach (var npc in frame.RootElement.GetProperty("npcs").EnumerateArray())
                {
                    output.WriteLine(json ? npc.GetRawText() : string.Join("  ", NpcColumns.Select((c, i) => $"{NpcHeaders[i].ToLowerInvariant()}={Cell(npc, c)}")));
                }

                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (HttpRequestException e)
        {
            return Unreachable(e);
        }
    }

    /// <summary>An action: <c>POST</c>, with the operator token; prints what the supervisor says happened.</summary>
    public async Task<int> ActAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            using var answer = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = (await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            var code = ExitCodeOf(answer.StatusCode);
            var writer = code == 0 ? output : error;
            writer.WriteLine(json ? JsonSerializer.Serialize(new Dictionary<string, object> { ["status"] = (int)answer.StatusCode, ["exit_code"] = code, ["detail"] = text }) : text);
            return code;
        }
        catch (HttpRequestException e)
        {
            return Unreachable(e);
        }
    }

    public static int ExitCodeOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.OK => 0,
        HttpStatusCode.BadRequest => Program.ExitUsage,
        HttpStatusCode.NotFound => ExitNoSuchThing,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitNotAllowed,
        HttpStatusCode.ServiceUnavailable => ExitUnavailable,
        _ => ExitNotDone,
    };

    private async Task<int> GetAsync(string path, Action<JsonElement> print, CancellationToken cancellationToken, Func<JsonElement, IEnumerable<JsonElement>>? jsonLines = null)
    {
        try
        {
            using var answer = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (!answer.IsSuccessStatusCode)
            {
                return await FailAsync(answer, cancellationToken).ConfigureAwait(false);
            }

            using var document = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (!json)
            {
                print(document.RootElement);
            }
            else if (jsonLines is null)
            {
                output.WriteLine(document.RootElement.GetRawText());
            }
            else
            {
                foreach (var line in jsonLines(document.RootElement))
                {
                    output.WriteLine(line.GetRawText());
                }
            }

            return 0;
        }
        catch (HttpRequestException e)
        {
            return Unreachable(e);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error.WriteLine($"nimmerverse: {http.BaseAddress} did not answer within {http.Timeout.TotalSeconds:0} s");
            return ExitUnavailable;
        }
    }

    private async Task<int> FailAsync(HttpResponseMessage answer, CancellationToken cancellationToken)
    {
        error.WriteLine($"nimmerverse: {(int)answer.StatusCode} {(await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim()}");
        return ExitCodeOf(answer.StatusCode);
    }

    private int Unreachable(HttpRequestException e)
    {
        error.WriteLine($"nimmerverse: the supervisor at {http.BaseAddress} cannot be reached ({e.Message}); is it running? (--url, or Nimmerverse:Http:Listen)");
        return ExitUnavailable;
    }

    private void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Cell(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.ValueKind switch
    {
        JsonValueKind.Null => "-",
        JsonValueKind.Number => value.GetDouble().ToString(value.GetDouble() % 1 == 0 ? "0" : "0.##", CultureInfo.InvariantCulture),
        JsonValueKind.True => name == "gate_open" ? "open" : "yes",
        JsonValueKind.False => name == "gate_open" ? "closed" : "no",
        _ => value.ToString(),
    } : "-";
}
