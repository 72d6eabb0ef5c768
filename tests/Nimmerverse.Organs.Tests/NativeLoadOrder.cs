using Nimmerverse.Organs.Native;

namespace Nimmerverse.Organs.Tests;

/// <summary>Before any test draws with OpenCV: the system's image codecs first, as the organ process does.</summary>
[SetUpFixture]
public sealed class NativeLoadOrder
{
    [OneTimeSetUp]
    public void LoadSystemCodecsFirst() => ImageLibraries.LoadSystemCodecsFirst();
}
