using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// The whole composition in-process, with the production extension methods and test settings:
/// a real ActorSystem that forms a one-member cluster, and the real HTTP endpoints.
/// </summary>
public sealed class SupervisorHostTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(params (string Name, string Value)[] settings)
    {
        var environment = new Hashtable
        {
            ["NIMMERVERSE_AKKA__PORT"] = "0",
            ["NIMMERVERSE_HTTP__LISTEN"] = $"http://127.0.0.1:{FreePort()}",
            ["NIMMERVERSE_LOGGING__TARGET"] = "console",
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        var logger = new LoggerConfiguration().CreateLogger();
        var app = SupervisorHost.Build(loaded, logger);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(loaded.Options.Http.Listen), Timeout = TimeSpan.FromSeconds(10) };
        return (app, http);
    }

    private static async Task<JsonElement> StatusWhenUpAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;
            var members = status.GetProperty("members");
            if ((members.GetArrayLength() == 1 && members[0].GetProperty("status").GetString() == "Up") || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(100);
        }
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
            Assert.That(status.GetProperty("members")[0].GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "cells" }));
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running; cluster: 1 member (1 up)"));
            Assert.That(await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)), Is.EqualTo("ok\n"));
            await app.StopAsync();
        }
    }

    [Test]
    public async Task Healthz_turns_unavailable_once_the_actor_system_is_wedged()
    {
        var (app, http) = await StartAsync(("NIMMERVERSE_TESTING__WEDGEACTORSYSTEMAFTER", "00:00:02"));
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
