using System.Text;

namespace Nimmerverse.Supervisor.Identities;

/// <summary>
/// A NATS <c>.creds</c> file: a user's JWT and its nkey seed in the standard armour every NATS
/// client reads. It holds a secret, so it is written mode 0400 (read by its owner only), through a
/// temporary file renamed into place, so no reader ever sees half of it.
/// </summary>
public static class CredsFile
{
    public static string Format(string jwt, string seed)
    {
        var text = new StringBuilder();
        text.Append("-----BEGIN NATS USER JWT-----\n").Append(jwt).Append("\n------END NATS USER JWT------\n\n");
        text.Append("************************* IMPORTANT *************************\n");
        text.Append("NKEY Seed printed below can be used to sign and prove identity.\n");
        text.Append("NKEYs are sensitive and should be treated as secrets.\n\n");
        text.Append("-----BEGIN USER NKEY SEED-----\n").Append(seed).Append("\n------END USER NKEY SEED------\n\n");
        text.Append("*************************************************************\n");
        return text.ToString();
    }

    /// <summary>Writes <paramref name="path"/> with mode 0400.</summary>
    /// <exception cref="IOException">Naming the path, when it cannot be written.</exception>
    public static void Write(string path, string jwt, string seed) => Secret.Write(path, Format(jwt, seed));
}
