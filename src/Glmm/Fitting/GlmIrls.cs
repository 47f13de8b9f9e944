using Glmm.Families;
using Glmm.Model;

namespace Glmm.Fitting;

/// <summary>Settings for <see cref="GlmIrls.Fit"/>; the defaults are R's <c>glm.control()</c>.</summary>
internal sealed record GlmIrlsOptions
{
    /// <summary>Maximum number of IRLS iterations (R's <c>maxit</c>, 25).</summary>
    public int MaxIterations { get; init; } = 25;

    /// <summary>Convergence when |dev − dev_old| / (|dev| + 0.1) &lt; this (R's <c>epsilon</c>, 1e−8).</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Starting coefficients; null starts from the family's <c>mustart</c> as R does.</summary>
    public IReadOnlyList<double>? Start { get; init; }

    /// <summary>
    /// Halve the step while the deviance increases (from the second iteration on, as the glm2 package
    /// does). R's glm.fit halves only for a non-finite deviance or invalid η/μ; for the usual
    /// well-behaved fits no increase occurs and the path is R's.
    /// </summary>
    public bool StepHalvingOnIncrease { get; init; } = true;
}

/// <summary>
/// An ordinary GLM fitted by iteratively reweighted least squares, following R's <c>glm.fit</c>
/// step for step (same start, same weighted least-squares problem solved by Householder QR, same
/// step-halving and convergence rule), so its results agree with R's <c>glm</c> to rounding. Used
/// for the GLMM's starting values of β, as lme4 does.
/// </summary>
internal static class GlmIrls
{
    /// <summary>Fits y ~ X with the given family, prior weights and offset.</summary>
    /// <param name="family">Family and link.</param>
    /// <param name="x">The model matrix (full column rank).</param>
    /// <param name="y">Response (binomial: proportions).</param>
    /// <param name="weights">Prior weights (binomial: numbers of trials); null means all 1.</param>
    /// <param name="offset">Offset added to η; null means 0.</param>
    /// <param name="options">Iteration settings; null means R's defaults.</param>
    /// <exception cref="GlmmInputException">Invalid response or weights, X rank deficient, no valid start,
    /// or the step could not be corrected.</exception>
    public static GlmFitResult Fit(Family family, FixedEffects x, double[] y, double[]? weights = null,
        double[]? offset = null, GlmIrlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new GlmIrlsOptions();
        int n = x.Rows, p = x.Columns;
        if (y.Length != n) throw new ArgumentException("y must have one value per row of X", nameof(y));
        weights ??= Filled(n, 1.0);
        offset ??= new double[n];
        if (weights.Length != n) throw new ArgumentException("weights must have one value per row of X", nameof(weights));
        if (offset.Length != n) throw new ArgumentException("offset must have one value per row of X", nameof(offset));
        family.ValidateResponse(y, weights);
        for (int i = 0; i < n; i++)
            if (!double.IsFinite(offset[i]))
                throw new GlmmInputException($"row {i + 1}: offset {offset[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture)} is not a finite number");
        var warnings = new List<string>(family.ResponseWarnings(y, weights));
        var link = family.Link;

        var eta = new double[n];
        var mu = new double[n];
        var muEta = new double[n];
        double[]? coefOld = null;
        var beta = new double[p];
        if (options.Start is { } start)
        {
            if (start.Count != p) throw new ArgumentException($"start must have {p} values", nameof(options));
            for (int j = 0; j < p; j++) beta[j] = start[j];
            coefOld = (double[])beta.Clone();
            LinearPredictor(x, beta, offset, eta);
        }
        else
        {
            // R: eta <- linkfun(mustart), without the offset.
            for (int i = 0; i < n; i++) eta[i] = link.Apply(family.StartingMu(y[i], weights[i]));
        }
        family.UpdateMu(eta, mu, muEta);
        if (!AllValid(family, eta, mu))
            throw new GlmmInputException("cannot find valid starting values for the GLM: please specify some");
        double devOld = family.Deviance(y, mu, weights);
        double dev = devOld;

        // Workspace for the weighted least-squares problem (rows with positive weight and dμ/dη ≠ 0).
        var a = new double[n * p];
        var b = new double[n];
        var rowIndex = new int[n];
        var sqrtW = new double[n];
        var r = new double[p * p];
        var tau = new double[p];
        var colNorm = new double[p];
        bool converged = false, boundary = false;
        int iter = 0;
        var lastR = new double[p * p];
        for (iter = 1; iter <= options.MaxIterations; iter++)
        {
            int m = 0;
            for (int i = 0; i < n; i++)
            {
                if (!(weights[i] > 0) || muEta[i] == 0) continue;
                double v = family.Variance(mu[i]);
                if (double.IsNaN(v)) throw new InvalidOperationException("NaN in V(mu)");
                if (v == 0) throw new GlmmInputException($"row {i + 1}: the variance V(mu) is 0; the GLM cannot be fitted");
                double sw = Math.Sqrt(weights[i] * muEta[i] * muEta[i] / v);
                double z = eta[i] - offset[i] + (y[i] - mu[i]) / muEta[i];
                rowIndex[m] = i;
                sqrtW[m] = sw;
                b[m] = z * sw;
                m++;
            }
            if (m == 0)
            {
                warnings.Add($"no observations informative at iteration {iter}");
                break;
            }
            if (m < p)
                throw new GlmmInputException($"X has {p} columns but only {m} observations are informative");
            for (int j = 0; j < p; j++)
            {
                var col = x.Column(j);
                int off = j * m;
                for (int k = 0; k < m; k++)
                {
                    a[off + k] = col[rowIndex[k]] * sqrtW[k];
                }
            }
            HouseholderSolve(a, b, m, p, tau, colNorm, r, beta, x.Names);
            Array.Copy(r, lastR, r.Length);
            if (!AllFinite(beta))
            {
                warnings.Add($"non-finite coefficients at iteration {iter}");
                break;
            }

            LinearPredictor(x, beta, offset, eta);
            family.UpdateMu(eta, mu, muEta);
            dev = family.Deviance(y, mu, weights);
            boundary = false;
            if (!double.IsFinite(dev))
            {
                if (coefOld is null)
                    throw new GlmmInputException("no valid set of GLM coefficients has been found: please supply starting values");
                warnings.Add("step size truncated due to divergence");
                int ii = 1;
                while (!double.IsFinite(dev))
                {
                    if (ii++ > options.MaxIterations)
                        throw new GlmmInputException("GLM IRLS: inner loop 1; cannot correct step size");
                    Halve(beta, coefOld);
                    LinearPredictor(x, beta, offset, eta);
                    family.UpdateMu(eta, mu, muEta);
                    dev = family.Deviance(y, mu, weights);
                }
                boundary = true;
            }
            if (!AllValid(family, eta, mu))
            {
                if (coefOld is null)
                    throw new GlmmInputException("no valid set of GLM coefficients has been found: please supply starting values");
                warnings.Add("step size truncated: out of bounds");
                int ii = 1;
                while (!AllValid(family, eta, mu))
                {
                    if (ii++ > options.MaxIterations)
                        throw new GlmmInputException("GLM IRLS: inner loop 2; cannot correct step size");
                    Halve(beta, coefOld);
                    LinearPredictor(x, beta, offset, eta);
                    family.UpdateMu(eta, mu, muEta);
                }
                boundary = true;
                dev = family.Deviance(y, mu, weights);
            }
            if (options.StepHalvingOnIncrease && iter > 1 && coefOld is not null
                && (dev - devOld) / (0.1 + Math.Abs(dev)) >= options.Tolerance)
            {
                int ii = 1;
                while ((dev - devOld) / (0.1 + Math.Abs(dev)) >= options.Tolerance)
                {
                    if (ii++ > options.MaxIterations)
                        throw new GlmmInputException("GLM IRLS: inner loop 3; cannot correct step size");
                    Halve(beta, coefOld);
                    LinearPredictor(x, beta, offset, eta);
                    family.UpdateMu(eta, mu, muEta);
                    dev = family.Deviance(y, mu, weights);
                }
                boundary = true;
            }
            if (Math.Abs(dev - devOld) / (Math.Abs(dev) + 0.1) < options.Tolerance)
            {
                converged = true;
                break;
            }
            devOld = dev;
            coefOld = (double[])beta.Clone();
        }
        if (iter > options.MaxIterations) iter = options.MaxIterations;
        if (!converged) warnings.Add("glm.fit: algorithm did not converge");
        if (boundary) warnings.Add("glm.fit: algorithm stopped at boundary value");
        const double eps = 10 * Link.DoubleEpsilon;
        if (family is Binomial)
        {
            foreach (double v in mu)
                if (v > 1 - eps || v < eps) { warnings.Add("glm.fit: fitted probabilities numerically 0 or 1 occurred"); break; }
        }
        else if (family is Poisson)
        {
            foreach (double v in mu)
                if (v < eps) { warnings.Add("glm.fit: fitted rates numerically 0 occurred"); break; }
        }

        double logLik = family.LogLikelihood(y, mu, weights);
        return new GlmFitResult((string[])x.Names.Clone(), beta, InverseFromR(lastR, p), dev, logLik, iter,
            converged, boundary, mu, eta, warnings);
    }

    private static double[] Filled(int n, double value)
    {
        var a = new double[n];
        Array.Fill(a, value);
        return a;
    }

    private static bool AllFinite(double[] v)
    {
        foreach (double d in v) if (!double.IsFinite(d)) return false;
        return true;
    }

    private static bool AllValid(Family family, double[] eta, double[] mu)
    {
        var link = family.Link;
        for (int i = 0; i < eta.Length; i++)
            if (!link.IsValidEta(eta[i]) || !family.IsValidMu(mu[i])) return false;
        return true;
    }

    private static void Halve(double[] beta, double[] old)
    {
        for (int j = 0; j < beta.Length; j++) beta[j] = (beta[j] + old[j]) / 2;
    }

    /// <summary>η = Xβ + offset.</summary>
    private static void LinearPredictor(FixedEffects x, double[] beta, double[] offset, double[] eta)
    {
        Array.Copy(offset, eta, eta.Length);
        for (int j = 0; j < beta.Length; j++)
        {
            double bj = beta[j];
            var col = x.Column(j);
            for (int i = 0; i < eta.Length; i++) eta[i] += col[i] * bj;
        }
    }

    /// <summary>
    /// Least squares min ‖A β − b‖ for the m×p column-major A by Householder QR (A and b are
    /// overwritten); the upper triangle R is written to <paramref name="r"/> (row-major p×p).
    /// A column whose remaining norm is below 1e−11 of its original norm is linearly dependent.
    /// </summary>
    private static void HouseholderSolve(double[] a, double[] b, int m, int p, double[] tau, double[] colNorm,
        double[] r, double[] beta, string[] names)
    {
        for (int j = 0; j < p; j++)
        {
            double s = 0;
            for (int k = 0; k < m; k++) s += a[j * m + k] * a[j * m + k];
            colNorm[j] = Math.Sqrt(s);
        }
        for (int j = 0; j < p; j++)
        {
            int cj = j * m;
            double ss = 0;
            for (int k = j; k < m; k++) ss += a[cj + k] * a[cj + k];
            double norm = Math.Sqrt(ss);
            if (norm <= 1e-11 * colNorm[j] || norm == 0)
                throw new GlmmInputException(
                    $"the fixed-effects model matrix is rank deficient: column '{names[j]}' is a linear combination of earlier columns");
            double alpha = a[cj + j] > 0 ? -norm : norm;
            // v = x − α e₁, stored in place; H = I − v v' / (v'v/2)... using τ = (α − x₁)/α form.
            double v0 = a[cj + j] - alpha;
            a[cj + j] = v0;
            double vtv = v0 * v0;
            for (int k = j + 1; k < m; k++) vtv += a[cj + k] * a[cj + k];
            tau[j] = 2.0 / vtv;
            for (int l = j + 1; l < p; l++)
            {
                int cl = l * m;
                double dot = 0;
                for (int k = j; k < m; k++) dot += a[cj + k] * a[cl + k];
                double f = tau[j] * dot;
                for (int k = j; k < m; k++) a[cl + k] -= f * a[cj + k];
            }
            {
                double dot = 0;
                for (int k = j; k < m; k++) dot += a[cj + k] * b[k];
                double f = tau[j] * dot;
                for (int k = j; k < m; k++) b[k] -= f * a[cj + k];
            }
            // Diagonal of R is α; the rest of row j of R is above the diagonal in later columns.
            r[j * p + j] = alpha;
            for (int l = j + 1; l < p; l++) r[j * p + l] = a[l * m + j];
            for (int l = 0; l < j; l++) r[j * p + l] = 0;
        }
        for (int j = p - 1; j >= 0; j--)
        {
            double s = b[j];
            for (int l = j + 1; l < p; l++) s -= r[j * p + l] * beta[l];
            beta[j] = s / r[j * p + j];
        }
    }

    /// <summary>(R'R)⁻¹ = R⁻¹R⁻ᵀ for the upper-triangular row-major R, as a row-major p×p array.</summary>
    private static double[] InverseFromR(double[] r, int p)
    {
        var inv = new double[p * p]; // R⁻¹, upper triangular, row-major
        for (int j = 0; j < p; j++)
        {
            inv[j * p + j] = 1.0 / r[j * p + j];
            for (int i = j - 1; i >= 0; i--)
            {
                double s = 0;
                for (int k = i + 1; k <= j; k++) s += r[i * p + k] * inv[k * p + j];
                inv[i * p + j] = -s / r[i * p + i];
            }
        }
        var cov = new double[p * p];
        for (int i = 0; i < p; i++)
            for (int j = i; j < p; j++)
            {
                double s = 0;
                for (int k = Math.Max(i, j); k < p; k++) s += inv[i * p + k] * inv[j * p + k];
                cov[i * p + j] = s;
                cov[j * p + i] = s;
            }
        return cov;
    }
}
