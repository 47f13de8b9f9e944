namespace Glmm.Data;

/// <summary>
/// Makes header names usable as column names the way R's read.csv (check.names = TRUE) does, restricted
/// to empty and duplicate names: an empty name becomes "X", and duplicates get ".1", ".2", … suffixes as
/// by <c>make.unique</c>, giving priority to names the user wrote (so an empty name next to a real "X"
/// becomes "X.1"). Other names are kept exactly as written (no make.names mangling of spaces etc.).
/// </summary>
internal static class ColumnNames
{
    /// <summary>Returns unique, non-empty names for the given header fields.</summary>
    public static string[] MakeUnique(IReadOnlyList<string> header)
    {
        int n = header.Count;
        var names = new string[n];
        for (int i = 0; i < n; i++) names[i] = header[i].Length == 0 ? "X" : header[i];

        // R: o <- order(names != names2); names2[o] <- make.unique(names2[o]) — unchanged names first.
        var order = new List<int>(n);
        for (int i = 0; i < n; i++) if (header[i].Length != 0) order.Add(i);
        for (int i = 0; i < n; i++) if (header[i].Length == 0) order.Add(i);

        // make.unique: every later occurrence of a name gets the first free "name.k", k counting up per name.
        var taken = new HashSet<string>(names, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var nextSuffix = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new string[n];
        foreach (int i in order)
        {
            string name = names[i];
            if (seen.Add(name)) { result[i] = name; continue; }
            int k = nextSuffix.GetValueOrDefault(name, 1);
            string candidate;
            do { candidate = name + "." + k.ToString(System.Globalization.CultureInfo.InvariantCulture); k++; }
            while (taken.Contains(candidate));
            nextSuffix[name] = k;
            taken.Add(candidate);
            result[i] = candidate;
        }
        return result;
    }
}
