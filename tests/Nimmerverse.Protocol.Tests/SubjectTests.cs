using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

[Category(TestTier.Unit)]
public sealed class SubjectTests
{
    [TestCase("dev.nervous.cells.math.request", "dev")]
    [TestCase("prod.npc.7.state", "prod")]
    [TestCase("staging.thalamus.gate.open", "staging")]
    [TestCase("dev.supervisor.theia-2.npc", "dev")]
    public void Valid_subjects_parse_and_know_their_environment(string text, string environment)
    {
        Assert.That(Subject.TryParse(text, out var subject, out var problem), Is.True, problem);
        Assert.That(subject.Environment, Is.EqualTo(environment));
        Assert.That(subject.Value, Is.EqualTo(text));
    }

    [TestCase("", "empty")]
    [TestCase("dev.npc.state", "3 tokens")]
    [TestCase("dev..cells.math", "empty token at position 1")]
    [TestCase("dev.nervous.cells.", "empty token at position 3")]
    [TestCase("dev.nervous.*.math", "position 2")]
    [TestCase("dev.nervous.cells.>", "position 3")]
    [TestCase("dev.nervous.ce lls.math", "position 2")]
    [TestCase("dev.nervous.cells.ma\nth", "position 3")]
    [TestCase("qa.nervous.cells.math", "'qa' is not an environment")]
    [TestCase("DEV.nervous.cells.math", "'DEV' is not an environment")]
    public void Bad_subjects_are_refused_with_a_reason(string text, string reason)
    {
        Assert.That(Subject.TryParse(text, out _, out var problem), Is.False);
        Assert.That(problem, Does.Contain(reason));
    }

    [Test]
    public void An_overlong_subject_is_refused()
    {
        Assert.That(Subject.TryParse("dev.a.b." + new string('c', 300), out _, out var problem), Is.False);
        Assert.That(problem, Does.Contain("longer than 256"));
    }

    [TestCase("*")]
    [TestCase(">")]
    [TestCase("a.b")]
    [TestCase("")]
    public void A_token_from_data_cannot_widen_a_subject(string token)
    {
        Assert.Throws<ArgumentException>(() => Subject.Create("dev", "nervous", "cells", token, "request"));
    }

    [Test]
    public void Well_known_subjects_follow_the_domain_naming()
    {
        var subjects = new Subjects("dev");

        Assert.That(subjects.CellRequest("math").Value, Is.EqualTo("dev.nervous.cells.math.request"));
        Assert.That(subjects.CellResponse("math").Value, Is.EqualTo("dev.nervous.cells.math.response"));
        Assert.That(subjects.CellWave("math").Value, Is.EqualTo("dev.nervous.cells.math.wave"));
        Assert.That(subjects.GateTransition(open: true).Value, Is.EqualTo("dev.thalamus.gate.open"));
        Assert.That(subjects.Allocation.Value, Is.EqualTo("dev.thalamus.governor.allocate"));
        Assert.That(subjects.NpcState(7).Value, Is.EqualTo("dev.npc.7.state"));
        Assert.That(subjects.NpcCommand(7).Value, Is.EqualTo("dev.npc.7.command"));
    }
}
