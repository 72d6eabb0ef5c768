using System.Text.RegularExpressions;
using System.Xml.Linq;
using Nimmerverse.Testing;

namespace Nimmerverse.EndToEnd.Tests.Repository;

/// <summary>The repository stands on its own and its layout shows the architecture.</summary>
[Category(TestTier.Unit)]
public sealed partial class RepositoryLayoutTests
{
    private static string Root => RepositoryPaths.Root;

    private static IEnumerable<string> TrackedTextFiles() =>
        new[] { "src", "tests", "bench", "docs", "systemd", "build" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Root))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Where(f => Path.GetExtension(f) is ".cs" or ".md" or ".csproj" or ".props" or ".targets" or ".json" or ".service" or ".slice" or ".env" or ""
                || Path.GetFileName(f) == ".editorconfig");

    [Test]
    public void Nothing_in_the_repository_refers_to_documents_outside_it()
    {
        var outside = TrackedTextFiles()
            .Where(f => !f.EndsWith(nameof(RepositoryLayoutTests) + ".cs", StringComparison.Ordinal))
            .Where(f => OutsideReference().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(Root, f))
            .ToList();

        Assert.That(outside, Is.Empty);
    }

    [Test]
    public void The_actors_do_not_reference_the_brain_and_the_protocol_references_nothing()
    {
        Assert.That(ProjectReferences("src/Nimmerverse.Actors/Nimmerverse.Actors.csproj"), Does.Not.Contain("Nimmerverse.Brains.csproj"));
        Assert.That(ProjectReferences("src/Nimmerverse.Brains/Nimmerverse.Brains.csproj"), Is.EqualTo(new[] { "Nimmerverse.Protocol.csproj" }));
        Assert.That(ProjectReferences("src/Nimmerverse.Nyx/Nimmerverse.Nyx.csproj"), Is.EqualTo(new[] { "Nimmerverse.Protocol.csproj" }), "the model server knows nothing of actors or the bus");
        Assert.That(ProjectReferences("src/Nimmerverse.Organs/Nimmerverse.Organs.csproj"), Is.EqualTo(new[] { "Nimmerverse.Protocol.csproj" }), "an organ process knows nothing of actors or the bus");
        var protocol = XDocument.Load(Path.Combine(Root, "src/Nimmerverse.Protocol/Nimmerverse.Protocol.csproj"));
        Assert.That(protocol.Descendants().Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference"), Is.Empty);
    }

    [Test]
    public void No_source_file_is_over_400_lines()
    {
        var tooLong = Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(Root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > 400)
            .ToList();

        Assert.That(tooLong, Is.Empty);
    }

    [Test]
    public void The_readme_is_at_most_200_lines()
    {
        Assert.That(File.ReadAllLines(Path.Combine(Root, "README.md")), Has.Length.AtMost(200));
    }

    private static string[] ProjectReferences(string project) =>
        [.. XDocument.Load(Path.Combine(Root, project)).Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => Path.GetFileName(e.Attribute("Include")!.Value))];

    [GeneratedRegex(@"\b(DOMAIN|STYLE|ARCHITECTURE)\.md\b|\.\./shared/")]
    private static partial Regex OutsideReference();
}
