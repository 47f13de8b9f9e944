using Glmm.Fitting;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Glmm.Inference;

/// <summary>
/// The Kenward–Roger (1997) small-sample adjustment of a REML linear mixed model's fixed-effect inference, as pbkrtest's
/// <c>vcovAdj</c> and <c>Lb_ddf</c> compute it (and lmerTest's <c>summary(fit, ddf = "Kenward-Roger")</c> reports it).
/// <para>The covariance parameters are pbkrtest's: the variances and covariances of each random-effects term (its lower
/// triangle) and the residual variance, in which V = Σ_r φ_r G_r is linear, G_r = Z E_r Z' (E_r the term's elementary
/// symmetric pattern repeated over its levels) and, for the residual, W⁻¹ (prior weights; pbkrtest writes I, which is the
/// same for an unweighted fit). With Φ = Var(β̂) (lme4's vcov at the REML estimates), P_r = −X'V⁻¹G_rV⁻¹X,
/// Q_rs = X'V⁻¹G_rV⁻¹G_sV⁻¹X, the expected information I_rs = tr(V⁻¹G_rV⁻¹G_s) − 2 tr(ΦQ_rs) + tr(ΦP_rΦP_s) and
/// W = 2I⁻¹: Φ_A = Φ + 2Φ[Σ_rs W_rs(Q_rs − P_rΦP_s)]Φ (the second-derivative term vanishes as V is linear in φ).</para>
/// <para>Nothing is n × n: with D = ΛΛ' and M = Λ'Z'WZΛ + I, V⁻¹ = σ⁻²(W − WZΛM⁻¹Λ'Z'W), so every product above reduces
/// to K = Z'V⁻¹Z, Z'V⁻¹X and X'V⁻¹X (q × q, q × p, p × p), and the residual's terms follow from
/// W⁻¹ = (V − ZΣ_bZ')/σ² (Σ_b = σ²D). The cost is that of dense q × q matrices: q is limited to
/// <see cref="MaxRandomEffects"/>.</para>
/// </summary>
internal static class KenwardRoger
{
    /// <summary>The largest number of random effects (length of u) the dense computation accepts.</summary>
    public const int MaxRandomEffects = 3000;

    /// <summary>Refuses, before the fit, a model with more random effects than <see cref="MaxRandomEffects"/>.</summary>
    /// <exception cref="GlmmInputException">Too many random effects.</exception>
    public static void CheckSize(EngineLayout d)
    {
        if (d.TotalRandom > MaxRandomEffects)
            throw new GlmmInputException($"--ddf Kenward-Roger works with dense matrices of the random effects: {d.TotalRandom} random effects are more than the {MaxRandomEffects} it handles; use --ddf Satterthwaite");
    }

    /// <summary>The adjusted covariance Φ_A (p × p) and the Kenward–Roger df of each coefficient's t test.</summary>
    internal sealed record Result(double[,] AdjustedCovariance, double[] Df);

    /// <summary>
    /// The adjustment at the REML estimates θ̂, σ̂ with <paramref name="phi"/> = σ̂²(R_X'R_X)⁻¹; <paramref name="n"/> is the
    /// number of rows with a positive prior weight (the others carry no information and are left out, as from every
    /// cross-product).
    /// </summary>
    public static Result Compute(EngineLayout d, ReadOnlySpan<double> theta, double sigma, double[,] phi, int n)
    {
        CheckSize(d);
        int q = d.TotalRandom, p = d.P;
        if (p == 0) return new Result(new double[0, 0], []);
        double s2 = sigma * sigma;

        // Cross-products Z'WZ, Z'WX, X'WX (column-major), and Λ.
        var f = new double[q * q];
        var zx = new double[q * p];
        var xwx = new double[p * p];
        int nz = 0;
        for (int k = 0; k < d.K; k++) nz += d.Q[k];
        var idx = new int[nz];
        var val = new double[nz];
        var x = d.X;
        var w = d.Weights;
        for (int i = 0; i < d.N; i++)
        {
            double wi = w[i];
            if (!(wi > 0)) continue;
            int e = 0;
            for (int k = 0; k < d.K; k++)
            {
                int qk = d.Q[k], level = d.Codes(k)[i];
                var z = d.Z(k);
                for (int c = 0; c < qk; c++)
                {
                    idx[e] = d.UIndex(k, level, c);
                    val[e++] = z[i * qk + c];
                }
            }
            var xi = x.Slice(i * p, p);
            for (int a = 0; a < nz; a++)
            {
                double wa = wi * val[a];
                if (wa == 0.0) continue;
                int ia = idx[a];
                for (int b = 0; b < nz; b++) f[idx[b] * q + ia] += wa * val[b];
                for (int c = 0; c < p; c++) zx[c * q + ia] += wa * xi[c];
            }
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++) xwx[b * p + a] += wi * xi[a] * xi[b];
        }
        var lam = new double[q * q];
        int tMax = 0;
        for (int k = 0; k < d.K; k++) tMax = Math.Max(tMax, d.Q[k] * d.Q[k]);
        var t = new double[tMax];
        for (int k = 0; k < d.K; k++)
        {
            int qk = d.Q[k];
            d.Random.FillFactor(theta, d.StructureTerm(k), t);
            for (int l = 0; l < d.Levels[k]; l++)
                for (int r = 0; r < qk; r++)
                    for (int c = 0; c <= r; c++) lam[d.UIndex(k, l, c) * q + d.UIndex(k, l, r)] = t[r * qk + c];
        }

        var mF = DenseMatrix.OfColumnMajor(q, q, f);
        var mLam = DenseMatrix.OfColumnMajor(q, q, lam);
        var mZx = DenseMatrix.OfColumnMajor(q, p, zx);
        var mXwx = DenseMatrix.OfColumnMajor(p, p, xwx);
        var a1 = mF * mLam;                                            // Z'WZΛ
        var m = mLam.TransposeThisAndMultiply(a1) + DenseMatrix.CreateIdentity(q);
        var chol = m.Cholesky();
        var lzx = mLam.TransposeThisAndMultiply(mZx);                  // Λ'Z'WX
        var mK = (mF - a1 * chol.Solve(a1.Transpose())) / s2;          // Z'V⁻¹Z
        var mB = (mZx - a1 * chol.Solve(lzx)) / s2;                    // Z'V⁻¹X
        var mC = (mXwx - lzx.TransposeThisAndMultiply(chol.Solve(lzx))) / s2;   // X'V⁻¹X
        var sigmaB = mLam.TransposeAndMultiply(mLam) * s2;             // Σ_b = σ²ΛΛ'
        var ks = mK * sigmaB;
        var zsz = (mK - ks * mK) / s2;                                 // Z'V⁻¹W⁻¹V⁻¹Z
        var zsx = (mB - ks * mB) / s2;                                 // Z'V⁻¹W⁻¹V⁻¹X
        var sb = sigmaB * mB;
        var xsx = (mC - mB.TransposeThisAndMultiply(sb)) / s2;         // X'V⁻¹W⁻¹V⁻¹X
        var qResRes = (mC - 2.0 * mB.TransposeThisAndMultiply(sb) + sb.TransposeThisAndMultiply(mK * sb)) / (s2 * s2);
        double traceKs = ks.Trace(), traceKsKs = 0;
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++) traceKsKs += ks[i, j] * ks[j, i];
        double kResRes = (n - 2.0 * traceKs + traceKsKs) / (s2 * s2);

        // The parameters' patterns E_r as index pairs (i, j) with E_r[i, j] = 1, then the residual.
        var pairs = new List<int[]>();
        for (int s = 0; s < d.Random.Terms.Count; s++)
        {
            int k = d.EngineTerm(s), qk = d.Q[k];
            for (int b = 0; b < qk; b++)
                for (int a = b; a < qk; a++)
                {
                    var list = new List<int>();
                    for (int l = 0; l < d.Levels[k]; l++)
                    {
                        int ia = d.UIndex(k, l, a), ib = d.UIndex(k, l, b);
                        list.Add(ia);
                        list.Add(ib);
                        if (a != b)
                        {
                            list.Add(ib);
                            list.Add(ia);
                        }
                    }
                    pairs.Add(list.ToArray());
                }
        }
        int nr = pairs.Count, ng = nr + 1;
        var kv = ((DenseMatrix)mK).Values;     // symmetric: column-major is row-major
        var bv = ((DenseMatrix)mB).Values;     // q × p column-major
        var zszv = ((DenseMatrix)zsz).Values;
        var zsxv = ((DenseMatrix)zsx).Values;
        var pp = new Matrix<double>[ng];
        var qq = new Matrix<double>[ng, ng];
        var kt = new double[ng, ng];
        var ts = new double[nr][];
        for (int r = 0; r < nr; r++)
        {
            var e = pairs[r];
            var pr = new double[p * p];
            var tr = new double[q * p];
            for (int h = 0; h < e.Length; h += 2)
            {
                int i = e[h], j = e[h + 1];
                for (int c = 0; c < p; c++)
                {
                    double bjc = bv[c * q + j];
                    for (int a = 0; a < p; a++) pr[c * p + a] -= bv[a * q + i] * bjc;
                    if (bjc == 0.0) continue;
                    for (int row = 0; row < q; row++) tr[c * q + row] += kv[i * q + row] * bjc;
                }
            }
            pp[r] = DenseMatrix.OfColumnMajor(p, p, pr);
            ts[r] = tr;
        }
        pp[nr] = -xsx;
        for (int r = 0; r < nr; r++)
        {
            var er = pairs[r];
            for (int s = r; s < nr; s++)
            {
                var es = pairs[s];
                qq[r, s] = PairProduct(er, bv, ts[s], q, p);
                double sum = 0;
                for (int h = 0; h < er.Length; h += 2)
                {
                    int i = er[h], j = er[h + 1];
                    for (int g = 0; g < es.Length; g += 2) sum += kv[es[g] * q + j] * kv[i * q + es[g + 1]];
                }
                kt[r, s] = kt[s, r] = sum;
            }
            qq[r, nr] = PairProduct(er, bv, zsxv, q, p);
            double tres = 0;
            for (int h = 0; h < er.Length; h += 2) tres += zszv[er[h] * q + er[h + 1]];
            kt[r, nr] = kt[nr, r] = tres;
        }
        qq[nr, nr] = qResRes;
        kt[nr, nr] = kResRes;

        var mPhi = DenseMatrix.OfArray(phi);
        var ie = new double[ng, ng];
        for (int r = 0; r < ng; r++)
        {
            var phiP = mPhi * pp[r];
            for (int s = r; s < ng; s++)
            {
                double v = kt[r, s] - 2.0 * Frobenius(mPhi, qq[r, s]) + Frobenius(phiP, pp[s] * mPhi);
                ie[r, s] = ie[s, r] = v;
            }
        }
        var wm = TwiceInverse(ie);

        Matrix<double> uu = new DenseMatrix(p, p);
        for (int r = 0; r < ng - 1; r++)
            for (int s = r + 1; s < ng; s++) uu += wm[r, s] * (qq[r, s] - pp[r] * mPhi * pp[s]);
        uu += uu.Transpose();
        for (int r = 0; r < ng; r++) uu += wm[r, r] * (qq[r, r] - pp[r] * mPhi * pp[r]);
        var adjusted = mPhi + 2.0 * (mPhi * uu * mPhi);

        var df = new double[p];
        for (int j = 0; j < p; j++)
        {
            var l = new double[1, p];
            l[0, j] = 1.0;
            df[j] = Ddf(l, mPhi, pp, wm);
        }
        return new Result(adjusted.ToArray(), df);
    }

    /// <summary>Σ_{(i,j)∈E} B[i,:]' T[j,:] (p × p): X'V⁻¹Z E Z'(…)X from the q × p column-major B and T.</summary>
    private static Matrix<double> PairProduct(int[] e, double[] b, double[] t, int q, int p)
    {
        var result = new double[p * p];
        for (int h = 0; h < e.Length; h += 2)
        {
            int i = e[h], j = e[h + 1];
            for (int c = 0; c < p; c++)
            {
                double tjc = t[c * q + j];
                if (tjc == 0.0) continue;
                for (int a = 0; a < p; a++) result[c * p + a] += b[a * q + i] * tjc;
            }
        }
        return DenseMatrix.OfColumnMajor(p, p, result);
    }

    /// <summary>Σ_ij A_ij B_ij (R's sum(A * B)).</summary>
    private static double Frobenius(Matrix<double> a, Matrix<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.RowCount; i++)
            for (int j = 0; j < a.ColumnCount; j++) sum += a[i, j] * b[i, j];
        return sum;
    }

    /// <summary>2I⁻¹, or 2 times the Moore–Penrose inverse (MASS's ginv: singular values above √ε × the largest) when the
    /// smallest |eigenvalue| is at most 1e-10, as pbkrtest.</summary>
    private static Matrix<double> TwiceInverse(double[,] information)
    {
        var mi = DenseMatrix.OfArray(information);
        var evd = mi.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        double condition = values.Min(Math.Abs);
        if (condition > 1e-10) return 2.0 * mi.Inverse();
        double max = values.Max(Math.Abs), tol = Math.Sqrt(2.220446049250313e-16) * max;
        int g = values.Length;
        var result = new DenseMatrix(g, g);
        var vectors = evd.EigenVectors;
        for (int e = 0; e < g; e++)
        {
            if (!(Math.Abs(values[e]) > tol)) continue;
            for (int i = 0; i < g; i++)
                for (int j = 0; j < g; j++) result[i, j] += 2.0 * vectors[i, e] * vectors[j, e] / values[e];
        }
        return result;
    }

    /// <summary>
    /// The Kenward–Roger denominator df of the F test of Lβ = 0 (pbkrtest's Lb_ddf; for one row the df of the t test): with
    /// Θ = L'(LΦL')⁻¹L, A₁ = Σ W_rs tr(ΘΦP_rΦ) tr(ΘΦP_sΦ), A₂ = Σ W_rs tr(ΘΦP_rΦΘΦP_sΦ), and Kenward and Roger's
    /// moment-matching of the scaled F statistic.
    /// </summary>
    internal static double Ddf(double[,] l, Matrix<double> phi, Matrix<double>[] pp, Matrix<double> wm)
    {
        var ml = DenseMatrix.OfArray(l);
        int qr = ml.RowCount, ng = pp.Length;
        var theta = ml.TransposeThisAndMultiply((ml * phi * ml.Transpose()).Solve(ml));
        var thetaPhi = theta * phi;
        var u = new Matrix<double>[ng];
        for (int r = 0; r < ng; r++) u[r] = thetaPhi * pp[r] * phi;
        double sumA1 = 0, sumA2 = 0;
        for (int r = 0; r < ng; r++)
            for (int s = r; s < ng; s++)
            {
                double e = r == s ? 1.0 : 2.0;
                sumA1 += e * wm[r, s] * u[r].Trace() * u[s].Trace();
                sumA2 += e * wm[r, s] * (u[r] * u[s]).Trace();
            }
        double q = qr;
        double bb = 1.0 / (2 * q) * (sumA1 + 6 * sumA2);
        double g = ((q + 1) * sumA1 - (q + 4) * sumA2) / ((q + 2) * sumA2);
        double denominator = 3 * q + 2 * (1 - g);
        double c1 = g / denominator, c2 = (q - g) / denominator, c3 = (q + 2 - g) / denominator;
        double v0 = 1 + c1 * bb, v1 = 1 - c2 * bb, v2 = 1 - c3 * bb;
        if (Math.Abs(v0) < 1e-10) v0 = 0;
        double x = 1 - sumA2 / q;
        double ratio = Math.Abs(x) < 1e-14 && Math.Abs(v1) < 1e-14 ? 1.0 : x / v1;
        double rho = 1 / q * ratio * ratio * v0 / v2;
        return 4 + (q + 2) / (q * rho - 1);
    }
}
