using Nimmerverse.Testing;
using Nimmerverse.Organs.Local;
using Nimmerverse.Organs.Media;

namespace Nimmerverse.Organs.Tests.Local;

/// <summary>eSpeak NG and CMU Sphinx loaded into this process: what one says, the other hears.</summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class SpeechRoundTripTests
{
    private EspeakSpeaker _speaker = null!;
    private PocketsphinxTranscriber _transcriber = null!;

    [OneTimeSetUp]
    public void Load()
    {
        var settings = new OrganSettings();
        _speaker = (EspeakSpeaker)settings.CreateSpeaker();
        _transcriber = (PocketsphinxTranscriber)settings.CreateTranscriber();
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _transcriber.Dispose();
        _speaker.Dispose();
    }

    [TestCase("open the vision gate")]
    [TestCase("close the cortex gate")]
    [TestCase("find the food")]
    [TestCase("follow the light")]
    [TestCase("turn left")]
    [TestCase("move forward")]
    [TestCase("pause citizen seven")]
    [TestCase("restart citizen three")]
    public void A_spoken_command_is_heard_exactly_and_confidently(string phrase)
    {
        var audio = _speaker.Speak(phrase);
        var heard = _transcriber.Transcribe(WaveAudio.Parse(audio.ToWave()));

        TestContext.Out.WriteLine($"heard '{heard.Text}' with confidence {heard.Confidence}");
        Assert.That(heard.Text, Is.EqualTo(phrase));
        Assert.That(heard.Confidence, Is.GreaterThan(0.5));
        Assert.That(heard.DurationSeconds, Is.EqualTo(audio.Duration.TotalSeconds).Within(0.01));
    }

    [Test]
    public void Words_outside_the_grammar_are_heard_with_little_confidence()
    {
        var known = _transcriber.Transcribe(_speaker.Speak("open the vision gate"));
        var forced = _transcriber.Transcribe(_speaker.Speak("the weather is lovely this afternoon in Hamburg"));

        TestContext.Out.WriteLine($"known {known.Confidence}, forced '{forced.Text}' {forced.Confidence}");
        Assert.That(forced.Confidence, Is.LessThan(known.Confidence / 2));
    }

    [Test]
    public void Silence_is_heard_as_nothing()
    {
        var heard = _transcriber.Transcribe(new WaveAudio(new short[16000], 16000));

        Assert.That(heard.Text, Is.Empty);
        Assert.That(heard.Confidence, Is.Zero);
    }
}
