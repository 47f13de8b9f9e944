namespace Glmm.Inference;

/// <summary>
/// Simulates new responses from a fitted model, as lme4's <c>simulate</c>: new random effects b ~ N(0, Σ(θ̂))
/// (lme4's default, <c>re.form = NA</c>), or the conditional modes b̃ (<c>re.form = NULL</c>); then
/// y ~ family(g⁻¹(Xβ̂ + Zb + offset)). Binomial: successes ~ Binomial(trials, μ) with the trials the prior
/// weights (1 for 0/1 responses), returned as proportions successes/trials, the scale of
/// <see cref="Model.ModelStructure.Y"/>; Poisson: counts. Seeded: simulation i uses the stream
/// (seed, i) of <see cref="SeededRandom"/>.
/// </summary>
public static class Simulation
{
    /// <summary>
    /// <paramref name="nsim"/> simulated responses (each in the order of the model's rows), from
    /// <paramref name="seed"/>; <paramref name="useModes"/> conditions on the conditional modes instead of new random effects.
    /// </summary>
    public static IReadOnlyList<double[]> Simulate(GlmmFit fit, int nsim, long seed, bool useModes = false)
    {
        if (nsim < 1) throw new GlmmInputException($"the number of simulations must be at least 1, not {nsim}");
        var result = new double[nsim][];
        var eta = new double[fit.Nobs];
        for (int i = 0; i < nsim; i++)
        {
            result[i] = new double[fit.Nobs];
            SimulateInto(fit, new SeededRandom(seed, i), useModes, eta, result[i]);
        }
        return result;
    }

    /// <summary>One simulated response into <paramref name="y"/>; <paramref name="eta"/> is workspace (n).</summary>
    internal static void SimulateInto(GlmmFit fit, SeededRandom rng, bool useModes, double[] eta, double[] y)
    {
        var model = fit.Model;
        int n = model.N;
        if (useModes)
        {
            for (int i = 0; i < n; i++) eta[i] = fit.LinearPredictor[i];
        }
        else
        {
            int p = model.X.Columns;
            var xv = model.X.Values;
            for (int i = 0; i < n; i++) eta[i] = model.Offset[i];
            for (int j = 0; j < p; j++)
            {
                double bj = fit.Beta[j];
                for (int i = 0; i < n; i++) eta[i] += xv[j * n + i] * bj;
            }
            var re = model.Random;
            var theta = fit.Theta.ToArray();
            // A linear mixed model's θ is relative to σ: b = σΛu.
            double scale = fit.Family is Families.Gaussian { IsLinearMixedModel: true } && double.IsFinite(fit.Sigma) ? fit.Sigma : 1.0;
            for (int s = 0; s < re.Terms.Count; s++)
            {
                var term = re.Terms[s];
                int q = term.Q, levels = term.LevelCount;
                var t = new double[q * q];
                re.FillFactor(theta, s, t);
                var v = new double[q];
                var b = new double[levels * q];
                for (int l = 0; l < levels; l++)
                {
                    for (int a = 0; a < q; a++) v[a] = rng.NextNormal();
                    for (int a = 0; a < q; a++)
                    {
                        double sum = 0;
                        for (int r = 0; r <= a; r++) sum += t[a * q + r] * v[r];
                        b[l * q + a] = scale * sum;
                    }
                }
                var codes = term.Codes;
                var z = term.Covariates;
                for (int i = 0; i < n; i++)
                {
                    int off = codes[i] * q;
                    double sum = 0;
                    for (int a = 0; a < q; a++) sum += z[i * q + a] * b[off + a];
                    eta[i] += sum;
                }
            }
        }
        var family = fit.Family;
        var link = family.Link;
        bool binomial = family.Name == "binomial";
        bool gaussian = family is Families.Gaussian;
        for (int i = 0; i < n; i++)
        {
            double mu = link.Inverse(eta[i]);
            if (gaussian)
            {
                // y ~ N(μ, σ²/w) (lme4's simulate for lmer).
                double w = model.Weights[i];
                y[i] = w > 0 ? mu + fit.Sigma / Math.Sqrt(w) * rng.NextNormal() : mu;
            }
            else if (binomial)
            {
                double w = model.Weights[i];
                int trials = (int)Math.Round(w);
                if (trials < 1) { y[i] = 0; continue; }
                mu = Math.Clamp(mu, 0.0, 1.0);
                int successes = trials <= 64 ? Bernoullis(rng, mu, trials) : MathNet.Numerics.Distributions.Binomial.Sample(rng, mu, trials);
                y[i] = successes / (double)trials;
            }
            else if (family is Families.Gamma)
            {
                // rgamma(shape = 1/φ, scale = μφ).
                double shape = 1.0 / fit.Dispersion;
                y[i] = MathNet.Numerics.Distributions.Gamma.Sample(rng, shape, shape / mu);
            }
            else if (family is Families.NegativeBinomial2)
            {
                // rnbinom(size = θ, mu = μ) as the Poisson-Gamma mixture.
                double theta = fit.Dispersion;
                double lambda = MathNet.Numerics.Distributions.Gamma.Sample(rng, theta, theta / mu);
                y[i] = MathNet.Numerics.Distributions.Poisson.Sample(rng, lambda);
            }
            else if (family is Families.NegativeBinomial1)
            {
                // rnbinom(size = μ/φ, mu = μ) as the Poisson-Gamma mixture.
                double size = mu / fit.Dispersion;
                double lambda = MathNet.Numerics.Distributions.Gamma.Sample(rng, size, size / mu);
                y[i] = MathNet.Numerics.Distributions.Poisson.Sample(rng, lambda);
            }
            else
            {
                y[i] = MathNet.Numerics.Distributions.Poisson.Sample(rng, mu);
            }
        }
    }

    private static int Bernoullis(SeededRandom rng, double p, int n)
    {
        int s = 0;
        for (int k = 0; k < n; k++) if (rng.NextDouble() < p) s++;
        return s;
    }
}
