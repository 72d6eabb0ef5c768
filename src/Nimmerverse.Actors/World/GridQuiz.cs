namespace Nimmerverse.Actors.World;

/// <summary>
/// The quiz, as an oracle anyone can run: does a policy lead a citizen to every citizen's home
/// (its own included) from the given starts within the step budget? The world puts its NPCs
/// through the same questions in quiz episodes; tests and tools grade any policy here.
/// A policy sees the node, the goal house and the open moves, and answers a move (0 N, 1 S, 2 E, 3 W).
/// </summary>
public static class GridQuiz
{
    public delegate int Policy(int node, House goal, IReadOnlyList<int> openMoves);

    public sealed record Question(int Start, House Goal);

    public sealed record Result(int Found, int Asked)
    {
        public bool Passed => Found == Asked;
    }

    /// <summary>One question per home, each from a start drawn by <paramref name="random"/> (never the home itself).</summary>
    public static IReadOnlyList<Question> Questions(Village village, Random random) =>
        village.Homes.Select(home =>
        {
            int start;
            do
            {
                start = random.Next(village.Map.NodeCount);
            }
            while (start == home.Node);
            return new Question(start, home);
        }).ToArray();

    public static Result Grade(Village village, IReadOnlyList<Question> questions, Policy policy)
    {
        var found = 0;
        foreach (var question in questions)
        {
            var node = question.Start;
            var budget = GridWorldSettings.StepBudget(village.Map.Distance(node, question.Goal.Node));
            for (var step = 0; step < budget && node != question.Goal.Node; step++)
            {
                var open = OpenMoves(village.Map, node);
                var move = policy(node, question.Goal, open);
                node = village.Map.Neighbour(node, move) ?? node;
            }

            found += node == question.Goal.Node ? 1 : 0;
        }

        return new Result(found, questions.Count);
    }

    /// <summary>A perfect policy: one step along a shortest path (the oracle's own answer key).</summary>
    public static Policy ShortestPath(Village village) => (node, goal, _) =>
    {
        var map = village.Map;
        return map.Row(goal.Node) < map.Row(node) ? 0
            : map.Row(goal.Node) > map.Row(node) ? 1
            : map.Column(goal.Node) > map.Column(node) ? 2
            : 3;
    };

    public static IReadOnlyList<int> OpenMoves(GridMap map, int node) =>
        Enumerable.Range(0, 4).Where(move => map.Neighbour(node, move) is not null).ToArray();
}
