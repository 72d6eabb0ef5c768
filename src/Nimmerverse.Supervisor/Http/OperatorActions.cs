using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Http;

/// <summary>
/// Who may act, and the record of what they did. The read API is open to whoever reaches the listener;
/// a control action needs the operator token (<c>Authorization: Bearer ...</c>, the contents of
/// <c>Http:OperatorTokenFile</c>). Without that file control is off. Every action, refused ones too, is
/// logged and kept in <c>operator_actions</c>.
/// </summary>
public sealed class OperatorActions(string? tokenFile, string hostName, NpgsqlDataSource database, ILogger<OperatorActions> log)
{
    private const string Bearer = "Bearer ";

    public sealed record Outcome(string Result, string Detail, int StatusCode)
    {
        public static Outcome Done(string detail) => new("done", detail, StatusCodes.Status200OK);

        public static Outcome Refused(string detail, int statusCode) => new("refused", detail, statusCode);

        public static Outcome Failed(string detail) => new("failed", detail, StatusCodes.Status502BadGateway);
    }

    /// <summary>Null when the request carries the operator token, else why it may not act.</summary>
    public Outcome? Authorize(HttpRequest request)
    {
        if (tokenFile is null)
        {
            return Outcome.Refused("control actions are off on this supervisor: Http:OperatorTokenFile is not set", StatusCodes.Status403Forbidden);
        }

        string expected;
        try
        {
            expected = File.ReadAllText(tokenFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Outcome.Refused($"control actions are off: the operator token {tokenFile} cannot be read ({e.Message})", StatusCodes.Status403Forbidden);
        }

        var header = request.Headers.Authorization.ToString();
        var given = header.StartsWith(Bearer, StringComparison.Ordinal) ? header[Bearer.Length..].Trim() : "";
        return expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected))
            ? null
            : Outcome.Refused(given.Length == 0 ? "an operator token is needed (Authorization: Bearer ...)" : "the operator token is not this supervisor's", StatusCodes.Status401Unauthorized);
    }

    /// <summary>Logs the action and keeps it; a database that is away loses the row, not the action (the journal has it).</summary>
    public async Task<IResult> RecordAsync(HttpContext http, string action, string target, string? argument, Outcome outcome)
    {
        var client = http.Connection.RemoteIpAddress?.ToString() ?? "local";
        log.Log(outcome.Result == "done" ? LogLevel.Information : LogLevel.Warning,
            "Operator action {OperatorAction} on {Target} {Argument} from {Client}: {Outcome} ({Detail})", action, target, argument ?? "", client, outcome.Result, outcome.Detail);
        try
        {
            await using var command = database.CreateCommand("""
                insert into operator_actions (id, action, target, argument, outcome, detail, client, host, occurred_at)
                values ($1, $2, $3, $4, $5, $6, $7, $8, now())
                """);
            command.Parameters.Add(new() { Value = Guid.NewGuid(), NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = action, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = target, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = (object?)argument ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = outcome.Result, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = outcome.Detail, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = client, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = hostName, NpgsqlDbType = NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or OperationCanceledException)
        {
            log.LogWarning("Operator action {OperatorAction} on {Target} was not kept in operator_actions: {Error}", action, target, e.GetBaseException().Message);
        }

        return Results.Text(outcome.Detail + "\n", statusCode: outcome.StatusCode);
    }
}
