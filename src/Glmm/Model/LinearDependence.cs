namespace Glmm.Model;

/// <summary>
/// Finds columns of a matrix that are linearly dependent on earlier columns, as R's <c>qr()</c> (LINPACK
/// dqrdc2 with limited pivoting) does for lme4: columns are taken in order, and one whose component
/// orthogonal to the kept columns has norm below <c>tol</c> times its own norm is set aside.
/// </summary>
internal static class LinearDependence
{
    public static int[] DependentColumns(IReadOnlyList<double[]> columns, double tol)
    {
        int p = columns.Count;
        if (p == 0) return Array.Empty<int>();
        int n = columns[0].Length;
        var basis = new List<double[]>();
        var dropped = new List<int>();
        var r = new double[n];
        for (int j = 0; j < p; j++)
        {
            var x = columns[j];
            double norm0 = Norm(x);
            x.AsSpan().CopyTo(r);
            // Two passes of modified Gram-Schmidt for stability.
            for (int pass = 0; pass < 2; pass++)
                foreach (var q in basis)
                {
                    double d = 0;
                    for (int i = 0; i < n; i++) d += q[i] * r[i];
                    for (int i = 0; i < n; i++) r[i] -= d * q[i];
                }
            double norm = Norm(r);
            if (norm0 == 0 || norm < tol * norm0)
            {
                dropped.Add(j);
                continue;
            }
            var qn = new double[n];
            for (int i = 0; i < n; i++) qn[i] = r[i] / norm;
            basis.Add(qn);
        }
        return dropped.ToArray();
    }

    /// <summary>The Euclidean norm, scaled by the largest entry so that columns of 1e-200 or 1e200 neither underflow to
    /// 0 (and count as dependent) nor overflow.</summary>
    private static double Norm(ReadOnlySpan<double> x)
    {
        double max = 0;
        foreach (var v in x) max = Math.Max(max, Math.Abs(v));
        if (max == 0 || !double.IsFinite(max)) return max;
        double s = 0;
        foreach (var v in x) s += (v / max) * (v / max);
        return max * Math.Sqrt(s);
    }
}
