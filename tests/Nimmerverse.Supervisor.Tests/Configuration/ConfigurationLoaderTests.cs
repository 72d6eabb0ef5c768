using System.Collections;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Configuration;

[Category(TestTier.Unit)]
public sealed class ConfigurationLoaderTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("nimmerverse-config-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    private ConfigurationLoader.Loaded Load(string? json = null, IDictionary? environment = null)
    {
        string? file = null;
        if (json is not null)
        {
            file = Path.Combine(_directory, "nimmerverse.json");
            File.WriteAllText(file, json);
        }

        return ConfigurationLoader.Load(file, environment ?? new Hashtable(), _directory);
    }

    private ConfigurationException LoadFails(string? json = null, IDictionary? environment = null) =>
        Assert.Throws<ConfigurationException>(() => Load(json, environment))!;

    [Test]
    public void The_organs_section_takes_lists_maps_and_names_a_bad_organ_and_a_missing_organ_process()
    {
        var options = Load("""{"Nimmerverse": {"Organs": {"Cards": ["2", "3"], "KeepWarm": "", "Prewarm": {"proximity": "", "speech": "speech-to-text"}}}}""").Options.Organs;
        Assert.That(options.EffectiveCards, Is.EqualTo(new[] { "2", "3" }), "a listed card replaces the one default slot");
        Assert.That(options.KeptWarm, Is.Empty);
        Assert.That((options.PrewarmedBy("proximity"), options.PrewarmedBy("speech")), Is.EqualTo(((string?)null, "speech-to-text")));

        Assert.That(LoadFails("""{"Nimmerverse": {"Organs": {"Prewarm": {"light": "smell"}}}}""").Errors.Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Organs:Prewarm:light" }));
        Assert.That(LoadFails("""{"Nimmerverse": {"Organs": {"KeepWarm": "vision,hearing"}}}""").Errors.Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Organs:KeepWarm" }));
        Assert.That(LoadFails("""{"Nimmerverse": {"Organs": {"User": "Nyx Organs"}}}""").Errors.Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Organs:User" }));
        var strangerHost = Load("""{"Nimmerverse": {"Roles": ["organs"], "Organs": {"User": "no-such-user-here", "Executable": """ + $"\"{RepositoryPaths.OrganExecutable}\"" + "}}}").Options;
        Assert.That(strangerHost.ValidateInstallation().Select(e => (e.Key, e.Problem.Contains("no user", StringComparison.Ordinal))), Is.EqualTo(new[] { ("Nimmerverse:Organs:User", true) }));
        var organsHost = Load("""{"Nimmerverse": {"Roles": ["organs"], "Organs": {"Executable": "/nonexistent/nimmerverse-organ"}}}""").Options;
        Assert.That(organsHost.ValidateInstallation().Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Organs:Executable" }));
        Assert.That((organsHost with { Roles = [ClusterRoles.Cortex] }).ValidateInstallation(), Is.Empty, "a host without the role needs no organ process");
    }

    [Test]
    public void Loading_a_configuration_leaves_the_settings_defaults_alone()
    {
        var options = Load("""{"Nimmerverse": {"Thalamus": {"Decay": 0.5}, "Npc": {"Population": 3}}}""").Options;

        Assert.That((options.Thalamus.Decay, options.Npc.Population), Is.EqualTo((0.5, 3)));
        Assert.That((GateSettings.Default.Decay, NpcHostSettings.Default.Population), Is.EqualTo((0.95, 25)), "the binder bound into fresh sections, not the shared defaults");
        Assert.That(Load().Options.Thalamus.Decay, Is.EqualTo(0.95));
    }

    [Test]
    public void Defaults_are_valid_and_the_conventional_local_ones()
    {
        var options = Load().Options;

        Assert.That(options.Environment, Is.EqualTo("dev"));
        Assert.That(options.Nats.Url, Is.EqualTo("nats://127.0.0.1:4222"));
        Assert.That(options.Postgres.ConnectionString, Is.EqualTo("Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse"));
        Assert.That(options.Akka.Port, Is.EqualTo(4053));
        Assert.That(options.Akka.SeedNodes, Is.Empty);
        Assert.That(options.EffectiveRoles, Is.EquivalentTo(ClusterRoles.All));
    }

    [Test]
    public void NIMMERVERSE_ENV_names_the_environment_and_the_shipped_file_leaves_it_to_it()
    {
        var shipped = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "systemd", "nimmerverse.json"));

        Assert.That(Load(shipped, new Hashtable { ["NIMMERVERSE_ENV"] = "prod" }).Options.Environment, Is.EqualTo("prod"), "same image everywhere, only NIMMERVERSE_ENV changes");
        Assert.That(Load(shipped).Options.Environment, Is.EqualTo("dev"));
        Assert.That(Load("""{"Nimmerverse": {"Environment": "staging"}}""", new Hashtable { ["NIMMERVERSE_ENV"] = "staging" }).Options.Environment, Is.EqualTo("staging"), "both alike is fine");
    }

    [Test]
    public void NIMMERVERSE_ENV_and_the_Environment_key_disagreeing_is_an_error_naming_both()
    {
        var fromFile = LoadFails("""{"Nimmerverse": {"Environment": "dev"}}""", new Hashtable { ["NIMMERVERSE_ENV"] = "prod" });
        var fromVariable = LoadFails(environment: new Hashtable { ["NIMMERVERSE_ENV"] = "prod", ["NIMMERVERSE_ENVIRONMENT"] = "staging" });
        var unknown = LoadFails(environment: new Hashtable { ["NIMMERVERSE_ENV"] = "moon" });

        Assert.That(fromFile.Errors.Single().ToString(), Is.EqualTo("NIMMERVERSE_ENV: is 'prod' but Nimmerverse:Environment is 'dev' (from the configuration file or NIMMERVERSE_ENVIRONMENT); set one of them, or both alike"));
        Assert.That(fromVariable.Errors.Single().Problem, Does.Contain("'staging'"));
        Assert.That(unknown.Errors.Single().ToString(), Is.EqualTo("NIMMERVERSE_ENV: 'moon' is not one of dev, staging, prod"));
    }

    [Test]
    public void The_config_file_overrides_appsettings_and_environment_variables_override_both()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{"Nimmerverse": {"Environment": "staging", "Nats": {"Url": "nats://from-appsettings:4222"}}}""");
        var environment = new Hashtable { ["NIMMERVERSE_NATS__URL"] = "nats://from-environment:4222" };

        var options = Load("""{"Nimmerverse": {"Environment": "prod", "Akka": {"Port": 5000}}}""", environment).Options;

        Assert.That(options.Environment, Is.EqualTo("prod"));
        Assert.That(options.Akka.Port, Is.EqualTo(5000));
        Assert.That(options.Nats.Url, Is.EqualTo("nats://from-environment:4222"));
    }

    [Test]
    public void Environment_variables_map_double_underscores_to_sections_and_indexes()
    {
        var environment = new Hashtable
        {
            ["NIMMERVERSE_AKKA__SEEDNODES__0"] = "akka.tcp://nimmerverse@theia:4053",
            ["NIMMERVERSE_AKKA__SEEDNODES__1"] = "akka.tcp://nimmerverse@dioscuri:4053",
            ["NIMMERVERSE_ROLES__0"] = "organs",
            ["UNRELATED_VARIABLE"] = "ignored",
        };

        var options = Load(environment: environment).Options;

        Assert.That(options.Akka.SeedNodes, Is.EqualTo(new[] { "akka.tcp://nimmerverse@theia:4053", "akka.tcp://nimmerverse@dioscuri:4053" }));
        Assert.That(options.EffectiveRoles, Is.EqualTo(new[] { "organs" }));
    }

    [Test]
    public void NIMMERVERSE_CONFIG_names_the_file_and_is_not_taken_for_an_option()
    {
        var file = Path.Combine(_directory, "other.json");
        File.WriteAllText(file, """{"Nimmerverse": {"Environment": "staging"}}""");

        var loaded = ConfigurationLoader.Load(null, new Hashtable { ["NIMMERVERSE_CONFIG"] = file }, _directory);

        Assert.That(loaded.Options.Environment, Is.EqualTo("staging"));
        Assert.That(loaded.ConfigFile, Is.EqualTo(file));
    }

    [Test]
    public void A_misspelt_key_is_named_with_its_full_path()
    {
        var error = LoadFails("""{"Nimmerverse": {"Nats": {"Uri": "nats://x:4222"}}}""");

        Assert.That(error.Errors.Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Nats:Uri" }));
        Assert.That(error.Errors[0].Problem, Does.Contain("Url"));
    }

    [TestCase("NIMMERVERSE_AKKA__PORT", "four thousand", "Nimmerverse:Akka:Port")]
    [TestCase("NIMMERVERSE_NPC__STOPTIMEOUT", "soon", "Nimmerverse:Npc:StopTimeout")]
    [TestCase("NIMMERVERSE_THALAMUS__DECAY", "0,95", "Nimmerverse:Thalamus:Decay")]
    [TestCase("NIMMERVERSE_CELLS__SENSOR__POLLINTERVAL", "200ms", "Nimmerverse:Cells:Sensor:PollInterval")]
    public void A_value_of_the_wrong_type_is_named_with_its_key_as_documented(string variable, string value, string key)
    {
        var error = LoadFails(environment: new Hashtable { [variable] = value });

        Assert.That(error.Errors.Single().Key, Is.EqualTo(key));
        Assert.That(error.Errors.Single().Problem, Does.Contain($"'{value}' cannot be read as"));
    }

    [Test]
    public void A_missing_explicit_config_file_is_an_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Path.Combine(_directory, "absent.json"), new Hashtable(), _directory))!;

        Assert.That(error.Errors.Single().Key, Is.EqualTo("--config"));
    }

    [Test]
    public void A_file_that_is_not_json_is_named()
    {
        var error = LoadFails("{ this is not json");

        Assert.That(error.Errors.Single().Key, Does.EndWith("nimmerverse.json"));
        Assert.That(error.Errors.Single().Problem, Does.StartWith("not valid JSON"));
    }

    [Test]
    public void A_value_of_the_wrong_type_and_a_bad_value_are_both_reported_each_once()
    {
        var error = LoadFails("""{"Nimmerverse": {"Environment": "qa", "Systemd": {"JoinTimeout": "soon"}}}""");

        Assert.That(error.Errors.Select(e => e.Key), Is.EquivalentTo(new[] { "Nimmerverse:Environment", "Nimmerverse:Systemd:JoinTimeout" }));
    }

    [Test]
    public void Every_problem_is_reported_at_once()
    {
        var error = LoadFails("""{"Nimmerverse": {"Environment": "qa", "Nats": {"Url": "http://x"}, "Bogus": 1}}""");

        Assert.That(error.Errors.Select(e => e.Key), Is.EquivalentTo(new[] { "Nimmerverse:Bogus", "Nimmerverse:Environment", "Nimmerverse:Nats:Url" }));
    }
}
