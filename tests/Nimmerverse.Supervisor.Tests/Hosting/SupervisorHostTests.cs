using System.Net;
using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// The whole composition in-process, with the production extension methods and test settings:
/// a real ActorSystem that forms a one-member cluster, and the real HTTP endpoints.
/// </summary>
[Category(TestTier.Integration)]
public sealed class SupervisorHostTests
{
    private NatsServer _nats = null!;

    [OneTimeSetUp]
    public async Task StartNats() => _nats = await NatsServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopNats() => await _nats.DisposeAsync();

    private async Task<(WebApplication App, HttpClient Http)> StartAsync(params (string Name, string Value)[] settings)
    {
        var environment = SupervisorEnvironment.Local(_nats.Url, null, [("NIMMERVERSE_LOGGING__TARGET", "console"), .. settings]);

        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        var logger = new LoggerConfiguration().CreateLogger();
        var app = SupervisorHost.Build(loaded, logger);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(loaded.Options.Http.Listen), Timeout = TimeSpan.FromSeconds(10) };
        return (app, http);
    }

    private static async Task<JsonElement> StatusAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;

    private static List<string> MemberStatuses(JsonElement status) =>
        [.. status.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("status").GetString()!)];

    private static async Task<JsonElement> StatusWhenUpAsync(HttpClient http)
    {
        await Eventually.TrueAsync(async () => MemberStatuses(await StatusAsync(http)) is ["Up"], TimeSpan.FromSeconds(30));
        return await StatusAsync(http);
    }

    [Test]
    public async Task A_lone_host_forms_a_cluster_of_its_own_and_reports_it()
    {
        var (app, http) = await StartAsync(("NIMMERVERSE_HOSTNAME", "theia"), ("NIMMERVERSE_ROLES__0", "cells"));
        await using (app)
        using (http)
        {
            var status = await StatusWhenUpAsync(http);

            Assert.That(status.GetProperty("host_name").GetString(), Is.EqualTo("theia"));
            Assert.That(status.GetProperty("members")[0].GetProperty("status").GetString(), Is.EqualTo("Up"));
            Assert.That(status.GetProperty("members")[0].GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "cells", "host-theia" }), "its role, and the role that names its host");
            // No systemd as init here: the brains would run without limits, and the line says so.
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running; cluster: 1 member (1 up); nats: open; npcs: none (no limits)"));
            Assert.That(await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)), Is.EqualTo("ok\n"));
            Assert.That(status.GetProperty("nats").GetProperty("subscriptions").EnumerateArray().Select(s => (s.GetProperty("subject").GetString(), s.GetProperty("message_type").GetString())),
                Does.Contain(("dev.nervous.cells.math.request", "cell_request")), "what the bridge subscribes to, for operators and the hostile-input fuzzer");
            Assert.That(status.GetProperty("actors").GetProperty("restarts").GetInt64(), Is.Zero);
            Assert.That(status.GetProperty("actors").GetProperty("stopped").GetArrayLength(), Is.Zero);
            Assert.That(app.Services.GetRequiredService<ActorSystem>().Settings.SupervisorStrategyClass, Does.StartWith(typeof(Nimmerverse.Actors.Supervision.BoundedRestartConfigurator).FullName!), "every top-level actor has bounded restarts");
            await app.StopAsync();
        }
    }

    [Test]
    public async Task NIMMERVERSE_ENV_prod_gives_a_prod_supervisor_on_prod_subjects()
    {
        var (app, http) = await StartAsync(("NIMMERVERSE_ENV", "prod"));
        await using (app)
        using (http)
        {
            var status = await StatusWhenUpAsync(http);

            Assert.That(status.GetProperty("environment").GetString(), Is.EqualTo("prod"));
            var subjects = status.GetProperty("nats").GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("subject").GetString()!).ToList();
            Assert.That(subjects, Is.Not.Empty.And.All.StartsWith("prod."));
            await app.StopAsync();
        }
    }

    [Test]
    public async Task A_host_with_seed_nodes_joins_them_and_both_see_two_members_up()
    {
        var seedPort = Ports.FreeTcpPort();
        var (seed, seedHttp) = await StartAsync(("NIMMERVERSE_HOSTNAME", "theia"), ("NIMMERVERSE_AKKA__PORT", seedPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var (joiner, joinerHttp) = await StartAsync(("NIMMERVERSE_HOSTNAME", "dioscuri"), ("NIMMERVERSE_AKKA__SEEDNODES__0", $"akka.tcp://nimmerverse@127.0.0.1:{seedPort}"));
        await using (seed)
        await using (joiner)
        using (seedHttp)
        using (joinerHttp)
        {
            foreach (var http in new[] { seedHttp, joinerHttp })
            {
                await Eventually.TrueAsync(async () => MemberStatuses(await StatusAsync(http)) is ["Up", "Up"], TimeSpan.FromSeconds(30));
                Assert.That(MemberStatuses(await StatusAsync(http)), Is.EqualTo(new[] { "Up", "Up" }));
            }

            await joiner.StopAsync();
            await seed.StopAsync();
        }
    }

    [Test]
    public async Task A_supervisor_started_before_nats_is_ready_without_it_and_serves_once_it_comes()
    {
        var natsPort = Ports.FreeTcpPort();
        var (app, http) = await StartAsync(("NIMMERVERSE_NATS__URL", $"nats://127.0.0.1:{natsPort}"));
        await using (app)
        using (http)
        {
            var status = await StatusWhenUpAsync(http);
            Assert.That(status.GetProperty("nats").GetProperty("state").GetString(), Is.Not.EqualTo("open"));

            await using var nats = await NatsServer.StartAsync(natsPort);
            await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
            var request = WireCodec.Default.Encode(Envelopes.Of(new MessageSource("late", "test", 1),
                new CellRequestBody("add", [40, 2])));
            double? result = null;
            var answered = await Eventually.TrueAsync(async () =>
            {
                try
                {
                    var reply = await client.RequestAsync<byte[], byte[]>("dev.nervous.cells.math.request", request, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(1) });
                    result = WireCodec.Default.Decode<CellResponseBody>(reply.Data).Envelope?.Body.Result;
                    return result is not null;
                }
                catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300));

            Assert.That(answered, Is.True, "the math cell answers once NATS is there, without a restart");
            Assert.That(result, Is.EqualTo(42));
            await app.StopAsync();
        }
    }

    [Test]
    public async Task The_running_cluster_downs_with_the_split_brain_resolver_set_to_keep_the_majority()
    {
        var (app, http) = await StartAsync();
        await using (app)
        using (http)
        {
            var system = app.Services.GetRequiredService<ActorSystem>();
            var config = system.Settings.Config;

            // The provider the live cluster instantiated, not only the configuration's string.
            Assert.That(Akka.Cluster.Cluster.Get(system).DowningProvider, Is.InstanceOf<Akka.Cluster.SBR.SplitBrainResolverProvider>());
            Assert.That(config.GetString("akka.cluster.split-brain-resolver.active-strategy"), Is.EqualTo("keep-majority"));
            await app.StopAsync();
        }
    }

    [Test]
    public async Task An_actor_system_that_dies_on_its_own_stops_the_host_with_exit_code_70()
    {
        var exitCodeBefore = Environment.ExitCode;
        var (app, http) = await StartAsync();
        await using (app)
        using (http)
        {
            await StatusWhenUpAsync(http);
            try
            {
                await app.Services.GetRequiredService<ActorSystem>().Terminate();

                // What Program does after RunAsync: wait for the host to stop on its own, then read the exit code.
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await app.WaitForShutdownAsync(deadline.Token);
                Assert.That(deadline.IsCancellationRequested, Is.False, "the host stopped by itself");
                Assert.That(Environment.ExitCode, Is.EqualTo(Nimmerverse.Supervisor.Lifecycle.SystemdLifecycleService.ActorSystemDiedExitCode));
            }
            finally
            {
                Environment.ExitCode = exitCodeBefore;
            }
        }
    }

    [Test]
    public async Task Healthz_turns_unavailable_once_the_actor_system_is_wedged()
    {
        // The fault switch is the process's environment, not an option: it is read where the health probe is made.
        Environment.SetEnvironmentVariable(FaultInjection.WedgeVariable, "00:00:02");
        WebApplication app;
        HttpClient http;
        try
        {
            (app, http) = await StartAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(FaultInjection.WedgeVariable, null);
        }

        using (http)
        {
            Assert.That((await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

            await Task.Delay(TimeSpan.FromSeconds(2.5));

            var wedged = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.That(wedged.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            // A wedged actor never processes its stop; the host is abandoned rather than awaited.
            _ = app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(1)).Token);
        }
    }
}
