using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What kind of NPC a row of <see cref="GovernorFeatures"/> describes: its role and where it stands in the
/// quiz (its latest round at the world's level failed, none yet, or passed). Brains of one class answer an
/// allocation alike: a newcomer of any role gains from its ticks, one past its round gains nothing.
/// </summary>
public readonly record struct NpcClass(int Role, int Quiz)
{
    /// <summary>Roles (<see cref="BrainCommandLine.Roles"/>, then an unknown one) times the three quiz standings.</summary>
    public static int Count => (BrainCommandLine.Roles.Count + 1) * 3;

    /// <summary>0 .. <see cref="Count"/> − 1, for tables indexed by class.</summary>
    public int Index => (Role * 3) + Quiz;

    public static NpcClass Of(float[] features)
    {
        var role = BrainCommandLine.Roles.Count; // unknown: the one-hot is all zero
        for (var r = 0; r < BrainCommandLine.Roles.Count; r++)
        {
            if (features[GovernorFeatures.RoleAt + r] > 0.5f)
            {
                role = r;
            }
        }

        var quiz = features[GovernorFeatures.QuizAt];
        return new NpcClass(role, quiz < -0.5f ? 0 : quiz > 0.5f ? 2 : 1);
    }

    public override string ToString() =>
        $"{(Role < BrainCommandLine.Roles.Count ? BrainCommandLine.Roles[Role] : "unknown role")}, {Quiz switch { 0 => "failed its round", 2 => "passed its round", _ => "no round yet" }}";
}
