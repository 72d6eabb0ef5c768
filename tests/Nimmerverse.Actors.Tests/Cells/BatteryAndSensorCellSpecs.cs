using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.Sensor;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Cells;

internal static class CellRequests
{
    public static Inbound<CellRequestBody> Request(string cell, string operation) =>
        new($"dev.nervous.cells.{cell}.request",
            Envelopes.Of(new MessageSource("asker", "test", 1), new CellRequestBody(operation, [])),
            "_INBOX.asker");
}

[Category(TestTier.Unit)]
public sealed class BatteryCellActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");

    [Test]
    public void A_full_reserve_answers_its_level_and_sends_no_wave()
    {
        var bridge = CreateTestProbe();
        var ledger = Sys.ActorOf(LifeforceLedgerActor.Props());
        var battery = Sys.ActorOf(BatteryCellActor.Props(bridge.Ref, ledger, Dev, BatteryCellSettings.Default with { PollInterval = TimeSpan.FromMilliseconds(50) }, "theia"));
        Assert.That(bridge.ExpectMsg<Subscribe<CellRequestBody>>().QueueGroup, Is.EqualTo("nimmerverse-battery"));

        battery.Tell(CellRequests.Request("battery", "level"), TestActor);

        var reply = bridge.FishForMessage<Reply<CellResponseBody>>(_ => true);
        Assert.That(reply.Envelope.Body.Result, Is.EqualTo(100).Within(1), "100 LF less a few cheap readings");
        bridge.FishForMessage(m => m is Publish<CellResponseBody>);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public void A_low_reserve_sends_energy_waves_that_grow_more_urgent_as_it_empties()
    {
        var bridge = CreateTestProbe();
        var ledger = Sys.ActorOf(LifeforceLedgerActor.Props());
        ledger.Tell(new LifeforceLedgerMessages.Spend(90, "test", "drain"), TestActor);
        Sys.ActorOf(BatteryCellActor.Props(bridge.Ref, ledger, Dev, BatteryCellSettings.Default with { PollInterval = TimeSpan.FromMilliseconds(50), ReadCost = 0 }, "theia"));
        bridge.ExpectMsg<Subscribe<CellRequestBody>>();

        var wave = bridge.ExpectMsg<Publish<WaveBody>>();
        ledger.Tell(new LifeforceLedgerMessages.Spend(10, "test", "drain"), TestActor);
        var emptier = bridge.FishForMessage<Publish<WaveBody>>(w => w.Envelope.Body.Content.GetProperty("reserve").GetDouble() <= 0);

        Assert.That(wave.Subject.Value, Is.EqualTo("dev.nervous.cells.battery.wave"));
        Assert.That(wave.Envelope.Body.Domain, Is.EqualTo("energy"));
        Assert.That(wave.Envelope.Body.Confidence, Is.EqualTo(0.75).Within(1e-9), "10 LF left of a 20 LF mark");
        Assert.That(emptier.Envelope.Body.Confidence, Is.EqualTo(1.0));
    }

    [Test]
    public void Readings_are_paid_from_the_reserve()
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var battery = Sys.ActorOf(BatteryCellActor.Props(bridge.Ref, ledger.Ref, Dev, BatteryCellSettings.Default with { PollInterval = TimeSpan.FromHours(1) }, "theia"));

        battery.Tell(CellRequests.Request("battery", "level"), TestActor);

        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.01));
        ledger.ExpectMsg<LifeforceLedgerMessages.GetBalance>();
        ledger.Reply(new LifeforceLedgerMessages.Balance(42, 0, 0.01, null, new Dictionary<string, double>()));
        Assert.That(bridge.FishForMessage<Reply<CellResponseBody>>(_ => true).Envelope.Body.Result, Is.EqualTo(42));
    }
}

[Category(TestTier.Unit)]
public sealed class SensorCellActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private string _sensorFile = null!;

    [SetUp]
    public void CreateSensorFile() => _sensorFile = Path.Combine(Path.GetTempPath(), $"in_distance_raw-{Guid.NewGuid():N}");

    [TearDown]
    public void RemoveSensorFile() => File.Delete(_sensorFile);

    private (Akka.TestKit.TestProbe Bridge, Akka.TestKit.TestProbe Ledger, Akka.Actor.IActorRef Cell) StartSensor(double scale = 1)
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var cell = Sys.ActorOf(SensorCellActor.Props(bridge.Ref, ledger.Ref, Dev, new SensorCellSettings { Path = _sensorFile, PollInterval = TimeSpan.FromMilliseconds(50), Scale = scale }, "theia"));
        bridge.ExpectMsg<Subscribe<CellRequestBody>>();
        return (bridge, ledger, cell);
    }

    [TestCase("25", 1.0)]
    [TestCase("40", 0.5)]
    [TestCase("50", 0.0)]
    [TestCase("120", 0.0)]
    public void A_reading_becomes_a_proximity_wave_whose_confidence_is_its_urgency(string raw, double confidence)
    {
        File.WriteAllText(_sensorFile, raw + "\n");
        var (bridge, _, _) = StartSensor();

        var wave = bridge.ExpectMsg<Publish<WaveBody>>();

        Assert.That(wave.Subject.Value, Is.EqualTo("dev.nervous.cells.sensor.wave"));
        Assert.That(wave.Envelope.Body.Domain, Is.EqualTo("proximity"));
        Assert.That(wave.Envelope.Body.Confidence, Is.EqualTo(confidence).Within(1e-9));
        Assert.That(wave.Envelope.Body.LifeforceCost, Is.EqualTo(0.4).Within(1e-9), "a poll 0.1 and a reading 0.3");
    }

    [Test]
    public void The_raw_value_is_scaled_to_centimetres_and_each_poll_is_paid()
    {
        File.WriteAllText(_sensorFile, "350");
        var (bridge, ledger, cell) = StartSensor(scale: 0.1);

        Assert.That(bridge.ExpectMsg<Publish<WaveBody>>().Envelope.Body.Content.GetProperty("distance_cm").GetDouble(), Is.EqualTo(35).Within(1e-9));
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.1));
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.3));
        cell.Tell(CellRequests.Request("sensor", "read"), TestActor);
        Assert.That(bridge.FishForMessage<Reply<CellResponseBody>>(_ => true).Envelope.Body.Result, Is.EqualTo(35).Within(1e-9));
    }

    [Test]
    public void A_sensor_that_cannot_be_read_says_so_and_recovers_when_it_can()
    {
        var (bridge, _, cell) = StartSensor();
        var failure = ReadUntilPolled(bridge, cell);

        File.WriteAllText(_sensorFile, "not a number");
        bridge.FishForMessage(m => m is Publish<CellResponseBody>);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        File.WriteAllText(_sensorFile, "30");
        var wave = bridge.FishForMessage<Publish<WaveBody>>(_ => true, TimeSpan.FromSeconds(3));

        Assert.That(failure.Envelope.Body.Error, Does.StartWith("the sensor cannot be read"));
        Assert.That(wave.Envelope.Body.Confidence, Is.EqualTo(1.0));
    }

    /// <summary>Asks until the first poll has happened: on a busy machine it may come late, and "no reading yet" is the truthful answer before it.</summary>
    private Reply<CellResponseBody> ReadUntilPolled(Akka.TestKit.TestProbe bridge, Akka.Actor.IActorRef cell)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            cell.Tell(CellRequests.Request("sensor", "read"), TestActor);
            var reply = bridge.FishForMessage<Reply<CellResponseBody>>(_ => true);
            if (reply.Envelope.Body.Error != "no reading yet" || DateTime.UtcNow > deadline)
            {
                return reply;
            }

            Thread.Sleep(50);
        }
    }
}
