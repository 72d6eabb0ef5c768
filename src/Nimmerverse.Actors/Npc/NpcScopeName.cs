using System.Globalization;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// The only unit names the supervisor ever gives systemd: <c>nimmerverse-npc-&lt;id&gt;.scope</c>,
/// with a decimal id from 0 to <see cref="MaxId"/>. Every name reaches D-Bus through this type,
/// so an id from a message (<c>../x</c>, <c>a.service</c>, <c>7;reboot</c>) is refused first.
/// </summary>
public readonly record struct NpcScopeName
{
    public const int MaxId = 1_000_000;
    private const string Prefix = "nimmerverse-npc-";
    private const string Suffix = ".scope";

    private NpcScopeName(int id) => Id = id;

    public int Id { get; }

    public string Value => $"{Prefix}{Id.ToString(CultureInfo.InvariantCulture)}{Suffix}";

    /// <summary>The glob that lists every NPC scope (<c>ListUnitsByPatterns</c>).</summary>
    public static string Pattern => $"{Prefix}*{Suffix}";

    public static NpcScopeName For(int id) => id is >= 0 and <= MaxId
        ? new NpcScopeName(id)
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"an NPC id is 0..{MaxId}");

    /// <summary>Reads a unit name back (from <c>ListUnitsByPatterns</c>); anything but the exact form is refused.</summary>
    public static bool TryParse(string? unit, out NpcScopeName name)
    {
        name = default;
        if (unit is null || unit.Length > Prefix.Length + 7 + Suffix.Length
            || !unit.StartsWith(Prefix, StringComparison.Ordinal) || !unit.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = unit.AsSpan(Prefix.Length, unit.Length - Prefix.Length - Suffix.Length);
        // Decimal digits only, no sign, no leading zero (one id has one name).
        if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0') || !digits.ContainsOnlyAsciiDigits()
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id > MaxId)
        {
            return false;
        }

        name = new NpcScopeName(id);
        return true;
    }

    public override string ToString() => Value;
}

file static class SpanDigits
{
    public static bool ContainsOnlyAsciiDigits(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
