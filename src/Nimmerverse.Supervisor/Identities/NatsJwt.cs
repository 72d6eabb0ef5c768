using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.NKeys;

namespace Nimmerverse.Supervisor.Identities;

/// <summary>What a NATS user may publish and subscribe to (subjects, wildcards allowed); everything else is refused by the server.</summary>
public sealed record NatsPermissions(IReadOnlyList<string> Publish, IReadOnlyList<string> Subscribe);

/// <summary>
/// NATS's decentralized identities, written here (no JWT library for NATS is served, and the format
/// is small): a JWT is <c>base64url(header).base64url(claims).base64url(signature)</c>, the header
/// <c>{"typ":"JWT","alg":"ed25519-nkey"}</c>, the claims JSON with <c>iss</c> (the signer's public
/// nkey), <c>sub</c> (the subject's), <c>iat</c>, <c>jti</c> and a <c>nats</c> object by kind
/// (operator, account, user; version 2), and the Ed25519 signature by the issuer's nkey over the
/// first two parts as text. The operator signs accounts, an account (or one of its signing keys)
/// signs users. <c>jti</c> is a unique id: base32 of SHA-256 of the standard claims (the Go library
/// uses SHA-512/256, which .NET lacks; the server only needs it unique).
/// </summary>
public static class NatsJwt
{
    private static readonly string Header = Encode(Encoding.UTF8.GetBytes("""{"typ":"JWT","alg":"ed25519-nkey"}"""));

    public static string Operator(KeyPair operatorKey, string name) =>
        Sign(operatorKey, operatorKey.GetPublicKey(), name, new JsonObject { ["type"] = "operator", ["version"] = 2 });

    /// <summary>
    /// An account without limits, whose users may also be signed by <paramref name="signingKeys"/>;
    /// with <paramref name="jetStream"/> its streams may use memory and disk without bound.
    /// </summary>
    public static string Account(KeyPair operatorKey, string accountPublicKey, string name, IReadOnlyList<string> signingKeys, bool jetStream = true)
    {
        var limits = new JsonObject { ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1, ["wildcards"] = true, ["conn"] = -1, ["leaf"] = -1 };
        if (jetStream)
        {
            (limits["mem_storage"], limits["disk_storage"], limits["streams"], limits["consumer"]) = (-1, -1, -1, -1);
        }

        return Sign(operatorKey, accountPublicKey, name, new JsonObject
        {
            ["limits"] = limits,
            ["signing_keys"] = new JsonArray([.. signingKeys.Select(k => (JsonNode)JsonValue.Create(k))]),
            ["type"] = "account",
            ["version"] = 2,
        });
    }

    /// <summary>
    /// A user of the account <paramref name="accountPublicKey"/>, signed by <paramref name="signer"/>
    /// (the account's key or one of its signing keys); without <paramref name="permissions"/> it may do
    /// anything in its account.
    /// </summary>
    public static string User(KeyPair signer, string accountPublicKey, string userPublicKey, string name, NatsPermissions? permissions = null, DateTimeOffset? expires = null)
    {
        var nats = new JsonObject();
        if (permissions is not null)
        {
            nats["pub"] = new JsonObject { ["allow"] = new JsonArray([.. permissions.Publish.Select(s => (JsonNode)JsonValue.Create(s))]) };
            nats["sub"] = new JsonObject { ["allow"] = new JsonArray([.. permissions.Subscribe.Select(s => (JsonNode)JsonValue.Create(s))]) };
        }

        nats["subs"] = -1;
        nats["data"] = -1;
        nats["payload"] = -1;
        if (signer.GetPublicKey() != accountPublicKey)
        {
            nats["issuer_account"] = accountPublicKey;
        }

        nats["type"] = "user";
        nats["version"] = 2;
        return Sign(signer, userPublicKey, name, nats, expires);
    }

    /// <summary>The subject (<c>sub</c>: the public key it is about) of <paramref name="jwt"/>, unverified.</summary>
    public static string Subject(string jwt) =>
        JsonNode.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[1]))?["sub"]?.GetValue<string>()
        ?? throw new InvalidDataException("a JWT without a subject");

    /// <summary>The claims of <paramref name="jwt"/>, if its signature is the one of <paramref name="issuerPublicKey"/>; null otherwise.</summary>
    public static JsonObject? Verified(string jwt, string issuerPublicKey)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))?.AsObject();
        var signature = Base64Url.DecodeFromChars(parts[2]);
        using var issuer = KeyPair.FromPublicKey(issuerPublicKey);
        return claims?["iss"]?.GetValue<string>() == issuerPublicKey
            && issuer.Verify(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature)
            ? claims
            : null;
    }

    private static string Sign(KeyPair issuer, string subject, string name, JsonObject nats, DateTimeOffset? expires = null)
    {
        var standard = new JsonObject();
        if (expires is { } expiry)
        {
            standard["exp"] = expiry.ToUnixTimeSeconds();
        }

        standard["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        standard["iss"] = issuer.GetPublicKey();
        standard["name"] = name;
        standard["sub"] = subject;
        var claims = new JsonObject { ["jti"] = Id(standard) };
        foreach (var (key, value) in standard)
        {
            claims[key] = value?.DeepClone();
        }

        claims["nats"] = nats;
        var toSign = $"{Header}.{Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes(toSign), signature);
        return $"{toSign}.{Encode(signature)}";
    }

    private static string Id(JsonObject standard)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(standard.ToJsonString()));
        var text = new char[Base32.GetEncodedLength(hash)];
        var length = Base32.ToBase32(hash, text);
        return new string(text, 0, length).TrimEnd('=');
    }

    private static string Encode(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
