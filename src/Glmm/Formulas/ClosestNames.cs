namespace Glmm.Formulas;

/// <summary>Suggests existing names close to a misspelt one (Levenshtein distance, case-insensitive ties).</summary>
internal static class ClosestNames
{
    /// <summary>Up to <paramref name="count"/> candidates nearest to <paramref name="name"/> by edit distance.</summary>
    public static IReadOnlyList<string> Find(string name, IEnumerable<string> candidates, int count = 3)
    {
        var scored = candidates
            .Select((c, i) => (c, i, d: Math.Min(Distance(name, c), Distance(name.ToLowerInvariant(), c.ToLowerInvariant()) + 0.5)))
            .OrderBy(x => x.d).ThenBy(x => x.i).ToList();
        if (scored.Count == 0) return Array.Empty<string>();
        double best = scored[0].d;
        if (best > Math.Max(2, name.Length / 2.0)) return Array.Empty<string>();
        double limit = Math.Floor(best) + 0.5;
        return scored.Where(x => x.d <= limit).Take(count).Select(x => x.c).ToArray();
    }

    /// <summary>The phrase "; did you mean 'a', 'b' or 'c'?" or the list of columns when nothing is close.</summary>
    public static string Hint(string name, IReadOnlyList<string> candidates)
    {
        var near = Find(name, candidates);
        if (near.Count == 0)
            return candidates.Count == 0 ? "; the data have no columns"
                : $"; the columns are {string.Join(", ", candidates.Take(12))}{(candidates.Count > 12 ? ", ..." : "")}";
        var quoted = near.Select(n => $"'{n}'").ToArray();
        string list = quoted.Length == 1 ? quoted[0] : string.Join(", ", quoted[..^1]) + " or " + quoted[^1];
        return $"; did you mean {list}?";
    }

    public static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
