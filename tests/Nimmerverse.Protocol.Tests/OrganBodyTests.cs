using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

/// <summary>What organ requests, answers and states may say, and the subjects they travel on.</summary>
[Category(TestTier.Unit)]
public sealed class OrganBodyTests
{
    private static readonly VisionResult Seen = new([new Detection("circle", 0.9, new ImageBox(1, 2, 3, 4))], []);

    [TestCase("vision", "dev.organs.vision.detect")]
    [TestCase("speech-to-text", "dev.organs.speech.transcribe")]
    [TestCase("text-to-speech", "dev.organs.speech.speak")]
    public void Each_organ_is_asked_on_its_own_subject_and_reports_on_subjects_named_after_it(string organ, string request)
    {
        var subjects = new Subjects("dev");

        Assert.That(subjects.OrganRequest(organ).Value, Is.EqualTo(request));
        Assert.That(subjects.OrganState(organ).Value, Is.EqualTo($"dev.organs.{organ}.state"));
        Assert.That(subjects.OrganWaves.Matches(subjects.OrganWave(organ).Value), Is.True);
        Assert.Throws<ArgumentException>(() => subjects.OrganRequest("smell"));
    }

    [TestCase("vision", null, "text", "vision needs media")]
    [TestCase("speech-to-text", new byte[] { 1 }, "text", "takes media, not text")]
    [TestCase("text-to-speech", null, null, "text-to-speech needs text")]
    [TestCase("text-to-speech", new byte[] { 1 }, "hello", "takes text, not media")]
    [TestCase("vision", new byte[] { 1 }, null, null)]
    [TestCase("text-to-speech", null, "hello", null)]
    public void A_request_carries_what_its_operation_needs_and_nothing_else(string organ, byte[]? media, string? text, string? missing)
    {
        Assert.That(new OrganRequestBody("npc-1", media, text).MissingFor(organ), missing is null ? Is.Null : Does.Contain(missing));
    }

    [Test]
    public void A_request_with_empty_media_blank_words_or_an_absurd_deadline_is_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new OrganRequestBody("npc-1", Media: []).Problem(), Does.Contain("media is empty"));
            Assert.That(new OrganRequestBody("npc-1", Text: "  ").Problem(), Does.Contain("blank"));
            Assert.That(new OrganRequestBody("npc-1", Text: "a\u0000").Problem(), Does.Contain("control character"));
            Assert.That(new OrganRequestBody("npc-1", Text: "hi", TimeoutMs: 10).Problem(), Does.Contain("timeout_ms"));
            Assert.That(new OrganRequestBody("NPC", Text: "hi").Problem(), Does.Contain("lower-case"));
            Assert.That(new OrganRequestBody("npc-1", Media: [1], MediaObject: "a.png").Problem(), Does.Contain("send one"));
            Assert.That(new OrganRequestBody("npc-1", MediaObject: new string('a', 300)).Problem(), Does.Contain("more than 255"));
            Assert.That(new OrganRequestBody("npc-1", MediaObject: "a.wav").MissingFor(OrganNames.SpeechToText), Is.Null, "an object is media too");
            Assert.That(new OrganResponseBody("npc-1", "text-to-speech", "answered", Speech: [1], SpeechObject: "s.wav").Problem(), Does.Contain("twice"));
            Assert.That(new OrganResponseBody("npc-1", "text-to-speech", "answered", SpeechObject: "s.wav").Problem(), Is.Null);
        });
    }

    [Test]
    public void An_answer_carries_the_result_of_its_own_organ_and_only_an_answer_spends()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new OrganResponseBody("npc-1", "vision", "answered", Vision: Seen, LifeforceSpent: 8).Problem(), Is.Null);
            Assert.That(new OrganResponseBody("npc-1", "speech-to-text", "answered", Vision: Seen).Problem(), Does.Contain("its own result"));
            Assert.That(new OrganResponseBody("npc-1", "vision", "answered").Problem(), Does.Contain("its own result"));
            Assert.That(new OrganResponseBody("npc-1", "vision", "failed", "organ_failed", Vision: Seen).Problem(), Does.Contain("only an answer"));
            Assert.That(new OrganResponseBody("npc-1", "vision", "refused", "no_lifeforce", LifeforceSpent: 8).Problem(), Does.Contain("spends"));
            Assert.That(new OrganResponseBody("npc-1", "vision", "refused", "timeout").Problem(), Does.Contain("refusal's reason"));
            Assert.That(new OrganResponseBody("npc-1", "vision", "failed", "no_lifeforce").Problem(), Does.Contain("failure's reason"));
            Assert.That(new OrganResponseBody("npc-1", "smell", "failed", "timeout").Problem(), Does.Contain("'smell'"));
        });
    }

    [Test]
    public void A_state_is_one_of_the_lifecycle_and_a_trail_says_what_came_in()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new OrganStateBody("vision", "warming").Problem(), Does.Contain("'warming'"));
            Assert.That(new OrganStateBody("vision", "ready", Pid: 0).Problem(), Does.Contain("pid"));
            Assert.That(new OrganTrailBody(Guid.NewGuid(), "npc-1", "vision", "answered", "").Problem(), Does.Contain("input is empty"));
            Assert.That(new OrganTrailBody(Guid.NewGuid(), "npc-1", "vision", "answered", "image, 4 bytes", Confidence: 1.5).Problem(), Does.Contain("confidence"));
        });
    }
}
