using System.Diagnostics;
using System.Globalization;
using Glmm.Fitting;
using Glmm.LinearAlgebra;

namespace Glmm.Bench;

/// <summary>
/// The iterative solver's preconditioners compared (issue 17's note): at (θ, β) — θ given, β from the GLM — the modes
/// by the iterative system, then CG on H x = b for a few Rademacher right-hand sides to the fit's tolerance (1e-8) with
/// each preconditioner: none, the diagonal of H (Jacobi), the exact q × q block of every level of every factor
/// (block-Jacobi, the one the solver uses), and for two terms the symmetric block Gauss–Seidel over the two factors
/// (each factor's blocks exact, the coupling applied forward and backward: two more products with H per iteration).
/// Prints iterations per solve, products with H per solve and milliseconds per solve.
/// </summary>
internal static class PreconditionerStudy
{
    public static void Run(string dataPath, string formula, double[] theta, int solves)
    {
        var table = CsvTableReader.Read(dataPath);
        var layout = new EngineLayout(Glmm.Model.ModelBuilder.Build(formula, table), Glmm.Families.Family.Create("binomial"));
        var glm = GlmIrls.Fit(layout.Family, layout.Model.X, layout.Model.Y, layout.Model.Weights, layout.Model.Offset);
        var sys = new IterativePenalizedSystem(layout, 0, 1e-8, 5000);
        if (!double.IsFinite(sys.SolveMode(theta, glm.Coefficients.ToArray()))) throw new InvalidOperationException("no mode");
        int m = sys.Size;
        var block = sys.Preconditioner;
        var candidates = new List<(IPreconditioner P, int ExtraProducts)>
        {
            (new Identity(), 0),
            (new Diagonal(sys), 0),
            (block, 0),
        };
        if (layout.K == 2) candidates.Add((new SymmetricBlockGaussSeidel(sys), 2));
        var cg = new ConjugateGradient(m, 5000);
        var b = new double[m];
        var x = new double[m];
        Console.WriteLine($"rows {layout.N}, random effects {m}, terms {layout.K}, theta [{string.Join(", ", theta.Select(t => t.ToString("G4", CultureInfo.InvariantCulture)))}]");
        Console.WriteLine("| preconditioner | CG iterations per solve | products with H per solve | ms per solve |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (p, extra) in candidates)
        {
            long iterations = 0;
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < solves; s++)
            {
                StochasticLanczos.Rademacher(7, s, b);
                iterations += cg.Solve(sys, p, b, x, 1e-8);
            }
            double perSolve = (double)iterations / solves;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {p.Name} | {perSolve:0.#} | {perSolve * (1 + extra):0.#} | {clock.Elapsed.TotalMilliseconds / solves:0.#} |"));
        }
    }

    private sealed class Identity : IPreconditioner
    {
        public string Name => "none";
        public double LogDeterminant => 0;
        public void Solve(ReadOnlySpan<double> r, Span<double> z) => r.CopyTo(z);
    }

    /// <summary>diag(H) from the block factors: (LL')ₐₐ = Σ_b≤a L²ₐ_b.</summary>
    private sealed class Diagonal : IPreconditioner
    {
        private readonly double[] _d;

        public Diagonal(IterativePenalizedSystem sys)
        {
            _d = new double[sys.Size];
            var layout = sys.Layout;
            for (int k = 0; k < layout.K; k++)
            {
                int q = layout.Q[k], qq = q * q;
                var f = sys.Preconditioner.Factor(k);
                var ub = sys.LevelBase[k];
                for (int l = 0; l < ub.Length; l++)
                    for (int a = 0; a < q; a++)
                    {
                        double s = 0;
                        for (int c = 0; c <= a; c++) s += f[l * qq + a * q + c] * f[l * qq + a * q + c];
                        _d[ub[l] + a] = s;
                    }
            }
        }

        public string Name => "diagonal (Jacobi)";
        public double LogDeterminant => 0;

        public void Solve(ReadOnlySpan<double> r, Span<double> z)
        {
            for (int i = 0; i < _d.Length; i++) z[i] = r[i] / _d[i];
        }
    }

    /// <summary>
    /// H = [A B; B' C] by terms (A, C their exact block diagonals): M = (D + L)D⁻¹(D + L'), applied as y₁ = A⁻¹r₁,
    /// y₂ = C⁻¹(r₂ − B'y₁), x₂ = y₂, x₁ = y₁ − A⁻¹B x₂ (B'y₁ and Bx₂ from products with H on vectors zero in the other term).
    /// </summary>
    private sealed class SymmetricBlockGaussSeidel : IPreconditioner
    {
        private readonly IterativePenalizedSystem _s;
        private readonly bool[] _first;
        private readonly double[] _u, _v, _w;

        public SymmetricBlockGaussSeidel(IterativePenalizedSystem sys)
        {
            _s = sys;
            int m = sys.Size;
            _first = new bool[m];
            var layout = sys.Layout;
            // The term with more random effects goes first.
            int k0 = (long)layout.Levels[0] * layout.Q[0] >= (long)layout.Levels[1] * layout.Q[1] ? 0 : 1;
            foreach (int o in sys.LevelBase[k0])
                for (int j = 0; j < layout.Q[k0]; j++) _first[o + j] = true;
            _u = new double[m];
            _v = new double[m];
            _w = new double[m];
        }

        public string Name => "symmetric block Gauss-Seidel";
        public double LogDeterminant => 0;

        public void Solve(ReadOnlySpan<double> r, Span<double> z)
        {
            int m = _u.Length;
            var p = _s.Preconditioner;
            // y₁ = A⁻¹ r₁ (block solves are per level: the other term's entries are zero and stay so).
            for (int i = 0; i < m; i++) _u[i] = _first[i] ? r[i] : 0.0;
            p.Solve(_u, _v);
            for (int i = 0; i < m; i++) if (!_first[i]) _v[i] = 0.0;
            // B'y₁ = second part of H [y₁; 0].
            _s.Apply(_v, _w);
            for (int i = 0; i < m; i++) _u[i] = _first[i] ? 0.0 : r[i] - _w[i];
            p.Solve(_u, _w);
            for (int i = 0; i < m; i++) if (_first[i]) _w[i] = 0.0;
            // x₂ = y₂ (in _w); B x₂ = first part of H [0; x₂].
            _s.Apply(_w, _u);
            for (int i = 0; i < m; i++) if (!_first[i]) _u[i] = 0.0;
            p.Solve(_u, z);
            for (int i = 0; i < m; i++) z[i] = _first[i] ? _v[i] - z[i] : _w[i];
        }
    }
}
