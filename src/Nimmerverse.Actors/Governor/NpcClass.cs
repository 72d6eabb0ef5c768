using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What kind of NPC a row of <see cref="GovernorFeatures"/> describes: its role, its stage (still exploring, learning,
/// or skilled) and where it stands in the quiz (its latest round at the world's level failed, none yet, or passed).
/// Brains of one class answer an allocation alike: a newcomer's ticks buy the end of its exploration, a learning brain's
/// buy skill, and a skilled one past its round gains nothing. The stage parts what the quiz alone does not: a newcomer
/// failing its first rounds and a skilled brain one home short of its round.
/// </summary>
public readonly record struct NpcClass(int Role, int Stage, int Quiz)
{
    /// <summary>
    /// Its brain's share of random moves (epsilon) is above this: a newcomer. Brains fall to a floor of 0.05 over their
    /// first thousand steps and gain most of their skill on the way down from 0.5 (the benchmark's reach half success
    /// before 0.1), so the stage ends just above the floor: ended at half, it left those ticks to classes whose arms
    /// cannot see what fast ticks buy a newcomer.
    /// </summary>
    public const double ExploringAbove = 0.1;

    /// <summary>Past exploring, it reaches its goal less often than this: still learning.</summary>
    public const double LearningBelow = 0.5;

    /// <summary>Failed its latest round (0), none yet (1), passed it (2).</summary>
    public const int QuizStandings = 3;

    private const int Stages = 3;

    /// <summary>Roles (<see cref="BrainCommandLine.Roles"/>, then an unknown one) times three stages times three quiz standings.</summary>
    public static int Count => (BrainCommandLine.Roles.Count + 1) * Stages * QuizStandings;

    /// <summary>Whether it is a newcomer whose random share has not yet fallen to near its floor.</summary>
    public bool Exploring => Stage == 0;

    /// <summary>Whether it is past exploring and reaches its goals at least half the time (<see cref="LearningBelow"/>).</summary>
    public bool Skilled => Stage == Stages - 1;

    /// <summary>0 .. <see cref="Count"/> − 1, for tables indexed by class.</summary>
    public int Index => (((Role * Stages) + Stage) * QuizStandings) + Quiz;

    /// <summary>The class whose <see cref="Index"/> is <paramref name="index"/>.</summary>
    public static NpcClass AtIndex(int index) =>
        index >= 0 && index < Count
            ? new NpcClass(index / (Stages * QuizStandings), index / QuizStandings % Stages, index % QuizStandings)
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"0 to {Count - 1}");

    /// <summary>Roles times stages: the classes without their quiz standing.</summary>
    public static int StagedCount => (BrainCommandLine.Roles.Count + 1) * Stages;

    /// <summary>0 .. <see cref="StagedCount"/> − 1: its role and stage, whatever its quiz standing.</summary>
    public int StagedIndex => (Role * Stages) + Stage;

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

        var stage = features[GovernorFeatures.EpsilonAt] > ExploringAbove ? 0 : features[GovernorFeatures.SuccessAt] < LearningBelow ? 1 : 2;
        var quiz = features[GovernorFeatures.QuizAt];
        return new NpcClass(role, stage, quiz < -0.5f ? 0 : quiz > 0.5f ? 2 : 1);
    }

    public override string ToString() =>
        $"{(Role < BrainCommandLine.Roles.Count ? BrainCommandLine.Roles[Role] : "unknown role")}, {Stage switch { 0 => "exploring", 1 => "learning", _ => "skilled" }}, {Quiz switch { 0 => "failed its round", 2 => "passed its round", _ => "no round yet" }}";
}
