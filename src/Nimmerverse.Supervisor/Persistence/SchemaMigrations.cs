using Npgsql;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Versioned schema migrations, applied in order at start-up. Each runs in its own transaction
/// together with its row in <c>schema_version</c>, all under one advisory lock, so two
/// supervisors starting at once apply each migration exactly once. A migration, once released, is never
/// edited: a change is a new migration.
/// </summary>
public static class SchemaMigrations
{
    public sealed record Migration(int Version, string Description, string Sql);

    /// <summary>Arbitrary, fixed: the advisory lock that serialises migrations across supervisors.</summary>
    internal const long LockKey = 0x6e696d6d6572; // "nimmer"

    public static readonly IReadOnlyList<Migration> All =
    [
        new(1, "NPC checkpoints", """
            create table npc_checkpoints (
                id          bigserial primary key,
                message_id  uuid not null unique,
                npc_id      integer not null check (npc_id >= 0),
                sequence    bigint not null,
                role        text not null,
                format      text not null,
                weights     bytea not null,
                steps       bigint not null,
                episodes    bigint not null,
                epsilon     double precision not null,
                stored_at   timestamptz not null default now()
            );
            create index npc_checkpoints_latest on npc_checkpoints (npc_id, id desc);
            """),
        new(2, "Decision trails, gate transitions, governor checkpoints", """
            create table decision_trails (
                message_id        uuid primary key,
                epoch             bigint not null check (epoch >= 0),
                npc_id            integer not null check (npc_id >= 0),
                host              text not null,
                policy            text not null,
                decided_at        timestamptz not null,
                inputs            real[] not null,
                tick_rate_hz      double precision not null,
                cpu_quota_percent double precision not null,
                gate_open         boolean not null,
                llm_priority      smallint not null,
                reward            double precision not null,
                latency_ms        double precision not null
            );
            create index decision_trails_npc on decision_trails (npc_id, epoch);
            create index decision_trails_epoch on decision_trails (epoch);

            create table gate_transitions (
                message_id        uuid primary key,
                gate_id           text not null,
                domain            text not null,
                from_state        text not null,
                to_state          text not null,
                state_value       double precision not null,
                correlation_score double precision not null,
                trigger_waves     uuid[] not null,
                routed_to_tier    smallint not null,
                occurred_at       timestamptz not null
            );
            create index gate_transitions_domain on gate_transitions (domain, occurred_at);

            create table governor_checkpoints (
                id          bigserial primary key,
                message_id  uuid not null unique,
                epoch       bigint not null,
                policy      text not null,
                format      text not null,
                weights     bytea not null,
                stored_at   timestamptz not null default now()
            );
            """),
        new(3, "Dead letters: records set aside with the reason (refused by PostgreSQL, or not valid at all)", """
            create table dead_letters (
                id            bigserial primary key,
                path          text not null,
                message_id    uuid,
                payload       bytea not null,
                reason        text not null,
                sql_state     text,
                set_aside_at  timestamptz not null default now()
            );
            create index dead_letters_path on dead_letters (path, id);
            """),
        new(4, "Cortex trails: every admission, refusal and outcome of the cortex gateway", """
            create table cortex_trails (
                message_id       uuid primary key,
                request_id       uuid not null,
                requester        text not null,
                event            text not null check (event in ('admitted', 'refused', 'answered', 'failed')),
                priority         smallint not null check (priority between 0 and 10),
                reason           text,
                detail           text,
                response_schema  text,
                messages         jsonb,
                content          text,
                model            text,
                prompt_tokens    integer,
                completion_tokens integer,
                queue_ms         double precision not null,
                latency_ms       double precision not null,
                lifeforce_spent  double precision not null,
                queue_depth      integer not null,
                host             text not null,
                occurred_at      timestamptz not null
            );
            create index cortex_trails_request on cortex_trails (request_id);
            create index cortex_trails_time on cortex_trails (occurred_at);
            create index cortex_trails_requester on cortex_trails (requester, occurred_at);
            """),
        new(5, "Organ trails: every request to an organ, refused, failed or answered, with what came in and out", """
            create table organ_trails (
                message_id       uuid primary key,
                request_id       uuid not null,
                requester        text not null,
                organ            text not null check (organ in ('vision', 'speech-to-text', 'text-to-speech')),
                status           text not null check (status in ('answered', 'refused', 'failed')),
                reason           text,
                detail           text,
                input            text not null,
                output           text,
                confidence       double precision check (confidence between 0 and 1),
                wait_ms          double precision not null,
                work_ms          double precision not null,
                load_ms          double precision,
                lifeforce_spent  double precision not null,
                card             text,
                host             text not null,
                occurred_at      timestamptz not null
            );
            create index organ_trails_time on organ_trails (occurred_at);
            create index organ_trails_organ on organ_trails (organ, occurred_at);
            create index organ_trails_requester on organ_trails (requester, occurred_at);
            """),
        new(6, "Operator actions: every control action an operator took through the HTTP API or the CLI, and how it ended", """
            create table operator_actions (
                id           uuid primary key,
                action       text not null,
                target       text not null,
                argument     text,
                outcome      text not null check (outcome in ('done', 'refused', 'failed')),
                detail       text,
                client       text not null,
                host         text not null,
                occurred_at  timestamptz not null
            );
            create index operator_actions_time on operator_actions (occurred_at);
            """),
        new(7, "NPC history: every NPC's state sampled by its host, and the time indexes the retention pruner deletes by", """
            create table npc_samples (
                npc_id           integer not null,
                sampled_at       timestamptz not null,
                host             text not null,
                tick             bigint not null,
                tick_rate_hz     double precision not null,
                measured_rate_hz double precision not null,
                cpu_ms           double precision not null,
                lifeforce        double precision not null,
                level            integer not null,
                episode          bigint not null,
                success_rate     double precision not null,
                reward_rate      double precision not null,
                epsilon          double precision not null,
                paused           boolean not null,
                primary key (npc_id, sampled_at)
            );
            create index npc_samples_time on npc_samples (sampled_at);
            create index decision_trails_time on decision_trails (decided_at);
            create index gate_transitions_time on gate_transitions (occurred_at);
            """),
        new(8, "The grid world kept across restarts and failovers of its singleton: one row per environment", """
            create table world_state (
                environment text primary key,
                level       integer not null,
                snapshot    jsonb not null,
                saved_at    timestamptz not null default now()
            );
            """),
        new(9, "What each governor decision's predecessor yielded for its NPC (learning progress, cost in CPU-seconds): the offline start's rewards", """
            alter table decision_trails add column progress double precision, add column cost double precision;
            """),
        new(10, "A checkpoint's recent errands and the level they were at, so that a restored brain reports the success it had", """
            alter table npc_checkpoints add column level integer check (level >= 0), add column recent_errands boolean[];
            """),
        new(11, "The price each governor decision was made at (progress a CPU-second had to buy); null for a policy that prices nothing", """
            alter table decision_trails add column price double precision;
            """),
        new(12, "A checkpoint's latest quiz round at its level, so that a restored brain reports the standing it had", """
            alter table npc_checkpoints add column quiz_passed boolean;
            """),
    ];

    public static int LatestVersion => All[^1].Version;

    /// <summary>The group role the daemon's login role is a member of: reads and writes rows, owns nothing, creates nothing.</summary>
    public const string WriterRole = "nimmerverse_writer";

    /// <summary>The group role researchers' login roles are members of: reads every table.</summary>
    public const string ReaderRole = "nimmerverse_reader";

    /// <summary>
    /// After every migration run, as the owner: the writer and reader roles get their rights on every
    /// table there is (so a new table's rights come with the migration that makes it). Roles that do
    /// not exist are skipped: a database with one role that owns and writes needs neither.
    /// </summary>
    private const string GrantPrivileges = $"""
        do $$
        begin
            if exists (select from pg_roles where rolname = '{WriterRole}') then
                execute 'grant select, insert, update, delete on all tables in schema public to {WriterRole}';
                execute 'grant usage, select on all sequences in schema public to {WriterRole}';
            end if;
            if exists (select from pg_roles where rolname = '{ReaderRole}') then
                execute 'grant select on all tables in schema public to {ReaderRole}';
            end if;
        end
        $$
        """;

    /// <summary>Applies every migration newer than the database's version (up to <paramref name="upTo"/>, for tests of an upgrade); returns the versions applied.</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken, int? upTo = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // A session lock around everything, the bookkeeping table included: two supervisors
        // creating it at once would collide inside PostgreSQL's catalogue even with "if not exists".
        await Execute(connection, null, $"select pg_advisory_lock({LockKey})", cancellationToken).ConfigureAwait(false);
        try
        {
            await Execute(connection, null, """
                create table if not exists schema_version (
                    version     integer primary key,
                    description text not null,
                    applied_at  timestamptz not null default now()
                )
                """, cancellationToken).ConfigureAwait(false);

            var applied = new List<int>();
            foreach (var migration in All.Where(m => m.Version <= (upTo ?? int.MaxValue)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var check = new NpgsqlCommand("select count(*) from schema_version where version = $1", connection, transaction))
                {
                    check.Parameters.AddWithValue(migration.Version);
                    if ((long)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0)
                    {
                        continue;
                    }
                }

                await Execute(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
                await using (var record = new NpgsqlCommand("insert into schema_version (version, description) values ($1, $2)", connection, transaction))
                {
                    record.Parameters.AddWithValue(migration.Version);
                    record.Parameters.AddWithValue(migration.Description);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                applied.Add(migration.Version);
            }

            await Execute(connection, null, GrantPrivileges, cancellationToken).ConfigureAwait(false);
            return applied;
        }
        finally
        {
            await Execute(connection, null, $"select pg_advisory_unlock({LockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The database's schema version: the highest applied migration, 0 for an empty database.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select coalesce(max(version), 0) from schema_version");
        try
        {
            return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
