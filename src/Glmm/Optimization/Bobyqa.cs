using MathNet.Numerics.LinearAlgebra;

namespace Glmm.Optimization;

/// <summary>
/// Powell's BOBYQA (M.J.D. Powell, "The BOBYQA algorithm for bound constrained optimization without derivatives",
/// DAMTP 2009/NA06): a trust-region method on a quadratic model that interpolates the objective at <c>m</c> points
/// (default <c>2n + 1</c>); the freedom left by the interpolation conditions is taken up by minimising the change of the
/// model Hessian in the Frobenius norm, with the inverse of the interpolation (KKT) matrix kept in factored form
/// (<c>BMAT</c>, <c>ZMAT</c>) and updated when a point is replaced. The trust-region subproblem with bounds is solved
/// by truncated conjugate gradients plus a search on the trust-region boundary (<c>TRSBOX</c>); the geometry of the
/// interpolation set is repaired by Powell's alternative step (<c>ALTMOV</c>); the radius <c>rho</c> decreases from
/// <see cref="OptimizerOptions.InitialTrustRadius"/> to <see cref="OptimizerOptions.FinalTrustRadius"/>.
/// </summary>
/// <remarks>
/// <para>Differences from Powell's Fortran: (1) the initial point is only projected onto the bounds, never moved; the
/// initial interpolation steps along each coordinate are chosen inside the box instead. (2) Powell's <c>RESCUE</c> is
/// replaced by a restart: a fresh interpolation set of step <c>rho</c> is built around the best point (costing
/// <c>m - 1</c> evaluations); a second failure without progress stops the run. (3) When the origin of the model is
/// moved to the best point, the inverse KKT matrix is recomputed from the (scaled) points instead of updated.
/// (4) Non-finite objective values: a trust-region step to such a point is rejected and the radius halved; a
/// geometry step is halved up to five times, after which (and at initial points) the value is replaced by a finite
/// penalty above the largest value seen. (5) Coordinates with <c>lower == upper</c> are removed; when only one
/// coordinate is free a bounded one-dimensional search (bracketing plus Brent's method, absolute tolerance
/// <see cref="OptimizerOptions.FinalTrustRadius"/>) is used, since BOBYQA needs <c>n &gt;= 2</c>.</para>
/// <para><see cref="OptimizerOptions.InitialTrustRadius"/> is reduced to half the smallest range
/// <c>upper[i] - lower[i]</c> of a free coordinate when needed, as BOBYQA requires <c>upper - lower &gt;= 2 rhobeg</c>;
/// infinite bounds are allowed. A trial coordinate within <c>1e-3 * rhoend</c> of a finite bound is evaluated (and
/// returned) exactly on the bound, so parameters whose optimum is on a bound (variances at 0) come back exactly on it.</para>
/// </remarks>
internal sealed class Bobyqa
{
    /// <summary>Minimises <paramref name="f"/> over the box <c>[lower, upper]</c> starting from <paramref name="x0"/>.</summary>
    /// <param name="f">The objective. It receives an array that it must not keep or modify: the optimiser may reuse the
    /// same array for later calls. It may return <c>+∞</c> or <c>NaN</c> where it is undefined; such points are treated
    /// as worse than any finite value.</param>
    /// <param name="x0">Starting point; projected onto the bounds if outside them. Not modified.</param>
    /// <param name="lower">Lower bounds (may be <see cref="double.NegativeInfinity"/>).</param>
    /// <param name="upper">Upper bounds (may be <see cref="double.PositiveInfinity"/>); a coordinate with
    /// <c>lower[i] == upper[i]</c> is held fixed.</param>
    /// <param name="options">Radii, evaluation limit and other settings.</param>
    /// <returns>The best point found and how the search ended.</returns>
    public OptimizationResult Minimize(Func<double[], double> f, double[] x0, double[] lower, double[] upper, OptimizerOptions options)
    {
        var problem = BoundedProblem.Create(f, x0, lower, upper, options);
        int n = problem.Dimension;
        if (n == 0) return problem.SolveTrivial();
        double rhobeg = options.InitialTrustRadius;
        for (int i = 0; i < n; i++) rhobeg = Math.Min(rhobeg, 0.5 * (problem.Upper[i] - problem.Lower[i]));
        double rhoend = Math.Min(options.FinalTrustRadius, rhobeg);
        if (n == 1) return BoundedBrent.Minimize(problem, rhobeg, rhoend, options.MaxEvaluations);
        int npt = options.InterpolationPoints ?? 2 * n + 1;
        if (npt < n + 2 || npt > (n + 1) * (n + 2) / 2)
            throw new ArgumentOutOfRangeException(nameof(options), $"InterpolationPoints must lie in [{n + 2}, {(n + 1) * (n + 2) / 2}] for {n} free parameters.");
        var engine = new Engine(problem, npt, rhobeg, rhoend, options.MaxEvaluations);
        return engine.Run();
    }

    /// <summary>The state and steps of one BOBYQA run (indices are zero-based; points are relative to <c>xbase</c>).</summary>
    internal sealed class Engine
    {
        private readonly BoundedProblem _p;
        private readonly int _n, _npt, _nptm, _maxfun;
        private readonly double _rhobeg, _rhoend;
        private readonly double[] _xl, _xu, _xbase, _sl, _su, _xopt, _gopt, _fval, _pq, _xnew, _xalt, _d, _vlag, _w;
        private readonly double[] _gnew, _s, _hs, _hred, _glag, _hcol, _work, _xeval, _stepA, _stepB;
        private readonly int[] _xbdi;
        private readonly double[,] _xpt, _hq, _bmat, _zmat;
        private int _kopt;
        private double _xoptsq, _fmaxFinite = double.NegativeInfinity, _fminFinite = double.PositiveInfinity;

        public Engine(BoundedProblem problem, int npt, double rhobeg, double rhoend, int maxfun)
        {
            _p = problem;
            _n = problem.Dimension;
            _npt = npt;
            _nptm = npt - _n - 1;
            _rhobeg = rhobeg;
            _rhoend = rhoend;
            _maxfun = maxfun;
            int n = _n;
            _xl = problem.Lower;
            _xu = problem.Upper;
            _xbase = (double[])problem.X0.Clone();
            _sl = new double[n]; _su = new double[n];
            for (int i = 0; i < n; i++) { _sl[i] = _xl[i] - _xbase[i]; _su[i] = _xu[i] - _xbase[i]; }
            _xopt = new double[n]; _gopt = new double[n]; _fval = new double[npt]; _pq = new double[npt];
            _xnew = new double[n]; _xalt = new double[n]; _d = new double[n];
            _vlag = new double[npt + n]; _w = new double[2 * (npt + n)];
            _gnew = new double[n]; _s = new double[n]; _hs = new double[n]; _hred = new double[n];
            _glag = new double[n]; _hcol = new double[npt]; _work = new double[n]; _xeval = new double[n];
            _stepA = new double[n]; _stepB = new double[n];
            _xbdi = new int[n];
            _xpt = new double[npt, n]; _hq = new double[n, n]; _bmat = new double[npt + n, n]; _zmat = new double[npt, Math.Max(_nptm, 1)];
        }

        // ----------------------------------------------------------------------------------------------------
        // Objective evaluation
        // ----------------------------------------------------------------------------------------------------

        /// <summary>Evaluates f at xbase + x (clamped to the bounds; exactly on a bound where x is on sl or su).</summary>
        private double Evaluate(double[] x)
        {
            for (int i = 0; i < _n; i++) _xeval[i] = Absolute(x, i);
            double f = _p.Evaluate(_xeval);
            if (double.IsFinite(f))
            {
                _fmaxFinite = Math.Max(_fmaxFinite, f);
                _fminFinite = Math.Min(_fminFinite, f);
            }
            return f;
        }

        /// <summary>
        /// Coordinate i of xbase + x, clamped to the bounds, and exactly on a bound when x is on sl or su or within
        /// 1e-3 * rhoend (plus rounding error) of it: such a point is indistinguishable from the bound at the requested
        /// accuracy, and f may not resolve the difference, so the search could otherwise stop a hair off the bound.
        /// </summary>
        private double Absolute(double[] x, int i)
        {
            double v = Math.Min(Math.Max(_xl[i], _xbase[i] + x[i]), _xu[i]);
            double tol = 1e-3 * _rhoend + 8.0 * 2.2e-16 * (Math.Abs(_xbase[i]) + Math.Abs(x[i]));
            if (x[i] == _sl[i] || (double.IsFinite(_xl[i]) && v - _xl[i] <= tol)) v = _xl[i];
            if (x[i] == _su[i] || (double.IsFinite(_xu[i]) && _xu[i] - v <= tol)) v = _xu[i];
            return v;
        }

        private double Penalty() =>
            double.IsFinite(_fmaxFinite) ? _fmaxFinite + Math.Max(1.0, _fmaxFinite - _fminFinite) : 1e10;

        private bool BudgetLeft => _p.Evaluations < _maxfun;

        // ----------------------------------------------------------------------------------------------------
        // Initial interpolation set (PRELIM), also used to restart around the best point
        // ----------------------------------------------------------------------------------------------------

        /// <summary>
        /// Builds the interpolation set around xbase with step <paramref name="rb"/>, the initial quadratic model and
        /// the factored inverse KKT matrix. <paramref name="f0"/> is f(xbase) when known (NaN otherwise).
        /// Returns false when the evaluation budget ran out.
        /// </summary>
        private bool Prelim(double rb, double f0)
        {
            int n = _n, npt = _npt;
            Array.Clear(_xpt); Array.Clear(_hq); Array.Clear(_bmat); Array.Clear(_zmat); Array.Clear(_pq); Array.Clear(_gopt);
            int nb = Math.Min(n, npt - n - 1); // coordinates that get a second point
            for (int i = 0; i < n; i++)
            {
                double a = _su[i] >= rb ? rb : -rb;
                a = Math.Min(Math.Max(a, _sl[i]), _su[i]);
                _stepA[i] = a;
                double c1 = Math.Min(Math.Max(-a, _sl[i]), _su[i]);
                double c2 = Math.Min(Math.Max(2 * a, _sl[i]), _su[i]);
                double q1 = Math.Min(Math.Abs(c1), Math.Abs(c1 - a)), q2 = Math.Min(Math.Abs(c2), Math.Abs(c2 - a));
                _stepB[i] = q1 >= q2 ? c1 : c2;
                _xpt[1 + i, i] = a;
                if (i < nb) _xpt[n + 1 + i, i] = _stepB[i];
            }
            int last2n = Math.Min(npt, 2 * n + 1);
            for (int k = 0; k < last2n; k++)
            {
                if (k == 0 && !double.IsNaN(f0)) { _fval[0] = f0; continue; }
                if (!BudgetLeft) return false;
                for (int i = 0; i < n; i++) _work[i] = _xpt[k, i];
                _fval[k] = Evaluate(_work);
                if (k == 0 && !double.IsFinite(_fval[0])) return false;
            }
            // Replace non-finite values by a penalty above everything seen.
            for (int k = 0; k < last2n; k++)
                if (!double.IsFinite(_fval[k])) _fval[k] = Penalty();
            // Put the better of the two steps first when they lie on opposite sides (used by extra points).
            for (int i = 0; i < nb; i++)
            {
                int kp = 1 + i, km = n + 1 + i;
                if (_stepA[i] * _stepB[i] < 0 && _fval[km] < _fval[kp])
                {
                    (_stepA[i], _stepB[i]) = (_stepB[i], _stepA[i]);
                    (_fval[kp], _fval[km]) = (_fval[km], _fval[kp]);
                    _xpt[kp, i] = _stepA[i];
                    _xpt[km, i] = _stepB[i];
                }
            }
            double fb = _fval[0];
            for (int i = 0; i < n; i++)
            {
                double a = _stepA[i];
                int kp = 1 + i;
                if (i < nb)
                {
                    double b = _stepB[i];
                    int km = n + 1 + i;
                    double ga = (_fval[kp] - fb) / a, gb = (_fval[km] - fb) / b;
                    _gopt[i] = (ga * b - gb * a) / (b - a);
                    _hq[i, i] = 2.0 * (gb - ga) / (b - a);
                    _bmat[kp, i] = -b / (a * (a - b));
                    _bmat[km, i] = -a / (b * (b - a));
                    _bmat[0, i] = -(_bmat[kp, i] + _bmat[km, i]);
                    double zm = Math.Sqrt(2.0) / Math.Abs(b * (b - a));
                    _zmat[km, i] = zm;
                    _zmat[kp, i] = -b * zm / a;
                    _zmat[0, i] = (b - a) * zm / a;
                }
                else
                {
                    _gopt[i] = (_fval[kp] - fb) / a;
                    _bmat[0, i] = -1.0 / a;
                    _bmat[kp, i] = 1.0 / a;
                    _bmat[npt + i, i] = -0.5 * a * a;
                }
            }
            // Extra points a_i e_i + a_j e_j (Powell's ordering of the pairs).
            for (int k = 2 * n + 1; k < npt; k++)
            {
                int itemp = (k - n - 1) / n;
                int jpt = k - itemp * n - n;
                int ipt = jpt + itemp;
                if (ipt > n) { int t = jpt; jpt = ipt - n; ipt = t; }
                int ii = ipt - 1, jj = jpt - 1;
                _xpt[k, ii] = _stepA[ii];
                _xpt[k, jj] = _stepA[jj];
                if (!BudgetLeft) return false;
                for (int i = 0; i < n; i++) _work[i] = _xpt[k, i];
                double fk = Evaluate(_work);
                _fval[k] = double.IsFinite(fk) ? fk : Penalty();
                int col = k - n - 1;
                double recip = 1.0 / Math.Abs(_stepA[ii] * _stepA[jj]);
                _zmat[0, col] = recip;
                _zmat[k, col] = recip;
                _zmat[ipt, col] = -recip;
                _zmat[jpt, col] = -recip;
                double h = (fb - _fval[ipt] - _fval[jpt] + _fval[k]) / (_stepA[ii] * _stepA[jj]);
                _hq[ii, jj] = h;
                _hq[jj, ii] = h;
            }
            _kopt = 0;
            for (int k = 1; k < npt; k++) if (_fval[k] < _fval[_kopt]) _kopt = k;
            for (int i = 0; i < n; i++) _xopt[i] = _xpt[_kopt, i];
            _xoptsq = Dot(_xopt, _xopt);
            if (_kopt != 0)
            {
                HessianTimes(_xopt, _work);
                for (int i = 0; i < n; i++) _gopt[i] += _work[i];
            }
            return true;
        }

        // ----------------------------------------------------------------------------------------------------
        // Main iteration (BOBYQB)
        // ----------------------------------------------------------------------------------------------------

        public OptimizationResult Run()
        {
            int n = _n, npt = _npt;
            if (!Prelim(_rhobeg, double.NaN))
            {
                if (!double.IsFinite(_fval[0]))
                    return Result(false, "objective not finite at the starting point", double.PositiveInfinity);
                return Result(false, "maximum number of evaluations reached during initialisation", double.PositiveInfinity);
            }
            double rho = _rhobeg, delta = rho;
            int nresc = _p.Evaluations, ntrits = 0, itest = 0, nfsav = _p.Evaluations, knew = -1, halvings = 0;
            double diffa = 0, diffb = 0, diffc = 0, ratio = 0, dnorm = 0, dsq = 0, crvmin = 0, distsq, adelt = 0;
            double cauchy = 0, alpha = 0, beta = 0, denom = 0, fsave = double.PositiveInfinity;
            string message;
            bool converged;

        TrustRegion:
            Trsbox(delta, out dsq, out crvmin);
            dnorm = Math.Min(delta, Math.Sqrt(dsq));
            if (dnorm < 0.5 * rho)
            {
                ntrits = -1;
                distsq = 100.0 * rho * rho;
                if (_p.Evaluations <= nfsav + 2) goto Geometry;
                double errbig = Math.Max(diffa, Math.Max(diffb, diffc));
                double frhosq = 0.125 * rho * rho;
                if (crvmin > 0 && errbig > frhosq * crvmin) goto Geometry;
                double bdtol = errbig / rho;
                for (int j = 0; j < n; j++)
                {
                    double bdtest = bdtol;
                    if (_xnew[j] == _sl[j]) bdtest = _gnew[j];
                    if (_xnew[j] == _su[j]) bdtest = -_gnew[j];
                    if (bdtest < bdtol)
                    {
                        double curv = _hq[j, j];
                        for (int k = 0; k < npt; k++) curv += _pq[k] * _xpt[k, j] * _xpt[k, j];
                        bdtest += 0.5 * curv * rho;
                        if (bdtest < bdtol) goto Geometry;
                    }
                }
                goto ReduceRho;
            }
            ntrits++;

        Shift:
            if (dsq <= 1e-3 * _xoptsq) ShiftBase();
            if (ntrits != 0) goto Denominators;
            Altmov(knew, adelt, out alpha, out cauchy);
            for (int i = 0; i < n; i++) _d[i] = _xnew[i] - _xopt[i];
            halvings = 0;

        Denominators:
            ComputeVlagBeta(out beta);
            if (ntrits == 0)
            {
                denom = _vlag[knew] * _vlag[knew] + alpha * beta;
                if (denom < cauchy && cauchy > 0)
                {
                    for (int i = 0; i < n; i++) { _xnew[i] = _xalt[i]; _d[i] = _xnew[i] - _xopt[i]; }
                    cauchy = 0;
                    goto Denominators;
                }
                if (!(denom > 0.5 * _vlag[knew] * _vlag[knew]))
                {
                    if (_p.Evaluations > nresc) goto Rescue;
                    message = "rounding errors: cancellation in the denominator of the update";
                    converged = false;
                    goto Finish;
                }
            }
            else
            {
                double delsq = delta * delta, scaden = 0, biglsq = 0;
                knew = -1;
                for (int k = 0; k < npt; k++)
                {
                    if (k == _kopt) continue;
                    double hdiag = 0;
                    for (int j = 0; j < _nptm; j++) hdiag += _zmat[k, j] * _zmat[k, j];
                    double den = beta * hdiag + _vlag[k] * _vlag[k];
                    double dist2 = 0;
                    for (int j = 0; j < n; j++) { double t = _xpt[k, j] - _xopt[j]; dist2 += t * t; }
                    double temp = Math.Max(1.0, (dist2 / delsq) * (dist2 / delsq));
                    if (temp * den > scaden) { scaden = temp * den; knew = k; denom = den; }
                    biglsq = Math.Max(biglsq, temp * _vlag[k] * _vlag[k]);
                }
                if (knew < 0 || !(scaden > 0.5 * biglsq))
                {
                    if (_p.Evaluations > nresc) goto Rescue;
                    message = "rounding errors: no interpolation point can be replaced";
                    converged = false;
                    goto Finish;
                }
            }

        Evaluate:
            if (!BudgetLeft) { message = "maximum number of evaluations reached"; converged = false; goto Finish; }
            double f = Evaluate(_xnew);
            if (!double.IsFinite(f))
            {
                if (ntrits == -1) { fsave = double.PositiveInfinity; message = Converged(); converged = true; goto Finish; }
                if (ntrits > 0)
                {
                    // Reject the trust-region step: shrink the region, keep the model.
                    ratio = -1.0;
                    delta = Math.Min(0.5 * delta, 0.5 * dnorm);
                    if (delta <= 1.5 * rho) delta = rho;
                    distsq = Math.Max(4.0 * delta * delta, 100.0 * rho * rho);
                    goto Geometry;
                }
                if (halvings < 5)
                {
                    halvings++;
                    for (int i = 0; i < n; i++)
                    {
                        _d[i] *= 0.5;
                        _xnew[i] = Math.Min(Math.Max(_xopt[i] + _d[i], _sl[i]), _su[i]);
                        _d[i] = _xnew[i] - _xopt[i];
                    }
                    ComputeVlagBeta(out beta);
                    denom = _vlag[knew] * _vlag[knew] + alpha * beta;
                    if (!(denom > 0.5 * _vlag[knew] * _vlag[knew]))
                    {
                        if (_p.Evaluations > nresc) goto Rescue;
                        message = "rounding errors: cancellation in the denominator of the update";
                        converged = false;
                        goto Finish;
                    }
                    goto Evaluate;
                }
                f = Penalty();
            }
            if (ntrits == -1) { fsave = f; message = Converged(); converged = true; goto Finish; }

            double fopt = _fval[_kopt];
            double vquad = 0;
            for (int j = 0; j < n; j++) vquad += _d[j] * _gopt[j];
            HessianTimes(_d, _work);
            vquad += 0.5 * Dot(_d, _work);
            double diff = f - fopt - vquad;
            diffc = diffb; diffb = diffa; diffa = Math.Abs(diff);
            if (dnorm > rho) nfsav = _p.Evaluations;

            if (ntrits > 0)
            {
                if (vquad < 0) ratio = (f - fopt) / vquad;
                else ratio = f < fopt ? 0.05 : -1.0;
                if (ratio <= 0.1) delta = Math.Min(0.5 * delta, dnorm);
                else if (ratio <= 0.7) delta = Math.Max(0.5 * delta, dnorm);
                else delta = Math.Max(0.5 * delta, 2.0 * dnorm);
                if (delta <= 1.5 * rho) delta = rho;

                if (f < fopt)
                {
                    int ksav = knew;
                    double densav = denom, delsq = delta * delta, scaden = 0, biglsq = 0;
                    for (int k = 0; k < npt; k++)
                    {
                        double hdiag = 0;
                        for (int j = 0; j < _nptm; j++) hdiag += _zmat[k, j] * _zmat[k, j];
                        double den = beta * hdiag + _vlag[k] * _vlag[k];
                        double dist2 = 0;
                        for (int j = 0; j < n; j++) { double t = _xpt[k, j] - _xnew[j]; dist2 += t * t; }
                        double temp = Math.Max(1.0, (dist2 / delsq) * (dist2 / delsq));
                        if (temp * den > scaden) { scaden = temp * den; knew = k; denom = den; }
                        biglsq = Math.Max(biglsq, temp * _vlag[k] * _vlag[k]);
                    }
                    if (scaden <= 0.5 * biglsq) { knew = ksav; denom = densav; }
                }
            }

            UpdateInverse(beta, denom, knew);
            UpdateModel(knew, f, diff);
            if (f < fopt)
            {
                _kopt = knew;
                for (int i = 0; i < n; i++) _xopt[i] = _xnew[i];
                _xoptsq = Dot(_xopt, _xopt);
                HessianTimes(_d, _work);
                for (int i = 0; i < n; i++) _gopt[i] += _work[i];
            }

            if (ntrits > 0)
            {
                // Replace the model by the least Frobenius norm interpolant when that has been consistently better.
                if (FrobeniusTest(ref itest)) itest = 0;
            }
            if (ntrits == 0) goto TrustRegion;
            if (f <= fopt + 0.1 * vquad) goto TrustRegion;
            distsq = Math.Max(4.0 * delta * delta, 100.0 * rho * rho);

        Geometry:
            knew = -1;
            for (int k = 0; k < npt; k++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) { double t = _xpt[k, j] - _xopt[j]; sum += t * t; }
                if (sum > distsq) { knew = k; distsq = sum; }
            }
            if (knew >= 0)
            {
                double dist = Math.Sqrt(distsq);
                if (ntrits == -1)
                {
                    delta = Math.Min(0.1 * delta, 0.5 * dist);
                    if (delta <= 1.5 * rho) delta = rho;
                }
                ntrits = 0;
                adelt = Math.Max(Math.Min(0.1 * dist, delta), rho);
                dsq = adelt * adelt;
                goto Shift;
            }
            if (ntrits == -1) goto ReduceRho;
            if (ratio > 0) goto TrustRegion;
            if (Math.Max(delta, dnorm) > rho) goto TrustRegion;

        ReduceRho:
            if (rho > _rhoend)
            {
                delta = 0.5 * rho;
                double r = rho / _rhoend;
                if (r <= 16.0) rho = _rhoend;
                else if (r <= 250.0) rho = Math.Sqrt(r) * _rhoend;
                else rho *= 0.1;
                delta = Math.Max(delta, rho);
                ntrits = 0;
                nfsav = _p.Evaluations;
                goto TrustRegion;
            }
            if (ntrits == -1) goto Evaluate;
            message = Converged();
            converged = true;
            goto Finish;

        Rescue:
            if (!Restart(rho))
            {
                message = "maximum number of evaluations reached";
                converged = false;
                goto Finish;
            }
            nresc = _p.Evaluations;
            nfsav = Math.Max(nfsav, nresc);
            delta = Math.Max(delta, rho);
            ntrits = 0;
            itest = 0;
            diffa = diffb = diffc = 0;
            goto TrustRegion;

        Finish:
            return Result(converged, message, fsave);

            string Converged() => $"converged: trust region radius reached {_rhoend.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}";
        }

        /// <summary>Builds the result from the best point; <paramref name="fsave"/> is f at xnew after a final short step.</summary>
        private OptimizationResult Result(bool converged, string message, double fsave)
        {
            double[] z = new double[_n];
            double fbest = _fval[_kopt];
            double[] src = _xopt;
            if (fsave < fbest) { src = _xnew; fbest = fsave; }
            for (int i = 0; i < _n; i++) z[i] = Absolute(src, i);
            return new OptimizationResult(_p.Expand(z), fbest, _p.Evaluations, converged, message);
        }

        /// <summary>Simplified RESCUE: rebuild the interpolation set with step rho around the best point.</summary>
        private bool Restart(double rho)
        {
            double fopt = _fval[_kopt];
            var shift = (double[])_xopt.Clone();
            for (int i = 0; i < _n; i++)
            {
                _xbase[i] += shift[i];
                _sl[i] -= shift[i];
                _su[i] -= shift[i];
                _xnew[i] -= shift[i];
                // Guard against rounding making the base point slightly infeasible.
                if (_sl[i] > 0) _sl[i] = 0;
                if (_su[i] < 0) _su[i] = 0;
            }
            return Prelim(rho, fopt);
        }

        // ----------------------------------------------------------------------------------------------------
        // Linear algebra helpers
        // ----------------------------------------------------------------------------------------------------

        private static double Dot(double[] a, double[] b)
        {
            double s = 0;
            for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
            return s;
        }

        /// <summary>result = (HQ + sum_k PQ_k x_k x_k') v.</summary>
        private void HessianTimes(double[] v, double[] result)
        {
            int n = _n;
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += _hq[i, j] * v[j];
                result[i] = s;
            }
            for (int k = 0; k < _npt; k++)
            {
                if (_pq[k] == 0) continue;
                double t = 0;
                for (int j = 0; j < n; j++) t += _xpt[k, j] * v[j];
                t *= _pq[k];
                for (int i = 0; i < n; i++) result[i] += t * _xpt[k, i];
            }
        }

        /// <summary>
        /// VLAG = values of the Lagrange functions at xopt + d (first npt entries) and the corresponding rows of the
        /// gradient part, and BETA of the updating formula (Powell's expressions relative to xopt for accuracy).
        /// </summary>
        private void ComputeVlagBeta(out double beta)
        {
            int n = _n, npt = _npt;
            var w = _w;
            for (int k = 0; k < npt; k++)
            {
                double suma = 0, sumb = 0, sum = 0;
                for (int j = 0; j < n; j++)
                {
                    suma += _xpt[k, j] * _d[j];
                    sumb += _xpt[k, j] * _xopt[j];
                    sum += _bmat[k, j] * _d[j];
                }
                w[k] = suma * (0.5 * suma + sumb);
                _vlag[k] = sum;
            }
            beta = 0;
            for (int jj = 0; jj < _nptm; jj++)
            {
                double sum = 0;
                for (int k = 0; k < npt; k++) sum += _zmat[k, jj] * w[k];
                beta -= sum * sum;
                for (int k = 0; k < npt; k++) _vlag[k] += sum * _zmat[k, jj];
            }
            double dsq = 0, bsum = 0, dx = 0;
            for (int j = 0; j < n; j++)
            {
                dsq += _d[j] * _d[j];
                double sum = 0;
                for (int k = 0; k < npt; k++) sum += w[k] * _bmat[k, j];
                bsum += sum * _d[j];
                int jp = npt + j;
                for (int i = 0; i < n; i++) sum += _bmat[jp, i] * _d[i];
                _vlag[jp] = sum;
                bsum += sum * _d[j];
                dx += _d[j] * _xopt[j];
            }
            beta = dx * dx + dsq * (_xoptsq + dx + dx + 0.5 * dsq) + beta - bsum;
            _vlag[_kopt] += 1.0;
        }

        /// <summary>Updates BMAT and ZMAT when point <paramref name="knew"/> is replaced (VLAG and BETA from ComputeVlagBeta).</summary>
        private void UpdateInverse(double beta, double denom, int knew)
        {
            int n = _n, npt = _npt;
            var w = _w;
            double ztest = 0;
            for (int k = 0; k < npt; k++)
                for (int j = 0; j < _nptm; j++) ztest = Math.Max(ztest, Math.Abs(_zmat[k, j]));
            ztest *= 1e-20;
            // Rotate the columns of ZMAT so that only the first has a non-zero entry in row knew.
            for (int j = 1; j < _nptm; j++)
            {
                if (Math.Abs(_zmat[knew, j]) > ztest)
                {
                    double temp = Math.Sqrt(_zmat[knew, 0] * _zmat[knew, 0] + _zmat[knew, j] * _zmat[knew, j]);
                    double tempa = _zmat[knew, 0] / temp, tempb = _zmat[knew, j] / temp;
                    for (int i = 0; i < npt; i++)
                    {
                        double t = tempa * _zmat[i, 0] + tempb * _zmat[i, j];
                        _zmat[i, j] = tempa * _zmat[i, j] - tempb * _zmat[i, 0];
                        _zmat[i, 0] = t;
                    }
                }
                _zmat[knew, j] = 0;
            }
            for (int i = 0; i < npt; i++) w[i] = _zmat[knew, 0] * _zmat[i, 0];
            double alpha = w[knew], tau = _vlag[knew];
            _vlag[knew] -= 1.0;
            double sq = Math.Sqrt(denom);
            double tb = _zmat[knew, 0] / sq, ta = tau / sq;
            for (int i = 0; i < npt; i++) _zmat[i, 0] = ta * _zmat[i, 0] - tb * _vlag[i];
            for (int j = 0; j < n; j++)
            {
                int jp = npt + j;
                w[jp] = _bmat[knew, j];
                double tempa = (alpha * _vlag[jp] - tau * w[jp]) / denom;
                double tempb = (-beta * w[jp] - tau * _vlag[jp]) / denom;
                for (int i = 0; i <= jp; i++)
                {
                    _bmat[i, j] += tempa * _vlag[i] + tempb * w[i];
                    if (i >= npt) _bmat[jp, i - npt] = _bmat[i, j];
                }
            }
        }

        /// <summary>Adds diff times the new Lagrange function of point knew to the model and stores the new point.</summary>
        private void UpdateModel(int knew, double f, double diff)
        {
            int n = _n, npt = _npt;
            double pqold = _pq[knew];
            _pq[knew] = 0;
            if (pqold != 0)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) _hq[i, j] += pqold * _xpt[knew, i] * _xpt[knew, j];
            for (int jj = 0; jj < _nptm; jj++)
            {
                double temp = diff * _zmat[knew, jj];
                for (int k = 0; k < npt; k++) _pq[k] += temp * _zmat[k, jj];
            }
            _fval[knew] = f;
            for (int i = 0; i < n; i++) { _xpt[knew, i] = _xnew[i]; _work[i] = _bmat[knew, i]; }
            for (int k = 0; k < npt; k++)
            {
                double suma = 0;
                for (int jj = 0; jj < _nptm; jj++) suma += _zmat[knew, jj] * _zmat[k, jj];
                double sumb = 0;
                for (int j = 0; j < n; j++) sumb += _xpt[k, j] * _xopt[j];
                double temp = suma * sumb;
                for (int i = 0; i < n; i++) _work[i] += temp * _xpt[k, i];
            }
            for (int i = 0; i < n; i++) _gopt[i] += diff * _work[i];
        }

        /// <summary>
        /// Powell's test: if the least Frobenius norm interpolant's projected gradient has been much smaller than the
        /// current model's for three iterations, replace the model by it. Returns true when replaced.
        /// </summary>
        private bool FrobeniusTest(ref int itest)
        {
            int n = _n, npt = _npt;
            var w = _w;
            double fo = _fval[_kopt];
            for (int k = 0; k < npt; k++) { _vlag[k] = _fval[k] - fo; w[k] = 0; }
            for (int j = 0; j < _nptm; j++)
            {
                double sum = 0;
                for (int k = 0; k < npt; k++) sum += _zmat[k, j] * _vlag[k];
                for (int k = 0; k < npt; k++) w[k] += sum * _zmat[k, j];
            }
            for (int k = 0; k < npt; k++)
            {
                double sum = 0;
                for (int j = 0; j < n; j++) sum += _xpt[k, j] * _xopt[j];
                w[k + npt] = w[k];
                w[k] = sum * w[k];
            }
            double gqsq = 0, gisq = 0;
            for (int i = 0; i < n; i++)
            {
                double sum = 0;
                for (int k = 0; k < npt; k++) sum += _bmat[k, i] * _vlag[k] + _xpt[k, i] * w[k];
                if (_xopt[i] == _sl[i])
                {
                    gqsq += Sq(Math.Min(0, _gopt[i]));
                    gisq += Sq(Math.Min(0, sum));
                }
                else if (_xopt[i] == _su[i])
                {
                    gqsq += Sq(Math.Max(0, _gopt[i]));
                    gisq += Sq(Math.Max(0, sum));
                }
                else
                {
                    gqsq += _gopt[i] * _gopt[i];
                    gisq += sum * sum;
                }
                _vlag[npt + i] = sum;
            }
            itest++;
            if (gqsq < 10.0 * gisq) itest = 0;
            if (itest < 3) return false;
            for (int i = 0; i < n; i++) _gopt[i] = _vlag[npt + i];
            for (int k = 0; k < npt; k++) _pq[k] = w[npt + k];
            Array.Clear(_hq);
            return true;

            static double Sq(double x) => x * x;
        }

        /// <summary>
        /// Moves xbase to xbase + xopt: shifts points, bounds and the explicit model Hessian, then recomputes the
        /// factored inverse KKT matrix from the shifted points.
        /// </summary>
        private void ShiftBase()
        {
            int n = _n, npt = _npt;
            var s = (double[])_xopt.Clone();
            double sumpq = 0;
            var wv = new double[n];
            for (int k = 0; k < npt; k++)
            {
                sumpq += _pq[k];
                for (int j = 0; j < n; j++) wv[j] += _pq[k] * _xpt[k, j];
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    _hq[i, j] += wv[i] * s[j] + s[i] * wv[j] - sumpq * s[i] * s[j];
            for (int k = 0; k < npt; k++)
                for (int j = 0; j < n; j++) _xpt[k, j] -= s[j];
            for (int i = 0; i < n; i++)
            {
                _xbase[i] += s[i];
                _xnew[i] -= s[i];
                _sl[i] -= s[i];
                _su[i] -= s[i];
                _xopt[i] = 0;
                if (_sl[i] > 0) _sl[i] = 0;
                if (_su[i] < 0) _su[i] = 0;
            }
            for (int j = 0; j < n; j++) _xpt[_kopt, j] = 0;
            _xoptsq = 0;
            RebuildInverse();
        }

        /// <summary>
        /// Recomputes BMAT and ZMAT from the interpolation points: inverts the KKT matrix of the points scaled to unit
        /// size and factors its leading block Omega = Z Z' from its eigen-decomposition.
        /// </summary>
        internal void RebuildInverse()
        {
            int n = _n, npt = _npt, m = npt + n + 1;
            double scale = 0;
            for (int k = 0; k < npt; k++)
            {
                double r = 0;
                for (int j = 0; j < n; j++) r += _xpt[k, j] * _xpt[k, j];
                scale = Math.Max(scale, Math.Sqrt(r));
            }
            if (scale == 0) return;
            var wm = Matrix<double>.Build.Dense(m, m);
            for (int j = 0; j < npt; j++)
            {
                for (int k = 0; k <= j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += _xpt[j, i] * _xpt[k, i];
                    dot /= scale * scale;
                    wm[j, k] = wm[k, j] = 0.5 * dot * dot;
                }
                wm[j, npt] = wm[npt, j] = 1.0;
                for (int i = 0; i < n; i++) wm[j, npt + 1 + i] = wm[npt + 1 + i, j] = _xpt[j, i] / scale;
            }
            var h = wm.Inverse();
            double s2 = scale * scale, s4 = s2 * s2;
            for (int k = 0; k < npt; k++)
                for (int i = 0; i < n; i++) _bmat[k, i] = h[npt + 1 + i, k] / scale;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) _bmat[npt + i, j] = h[npt + 1 + i, npt + 1 + j] * s2;
            var omega = h.SubMatrix(0, npt, 0, npt);
            omega = 0.5 * (omega + omega.Transpose());
            var evd = omega.Evd(Symmetricity.Symmetric);
            var order = Enumerable.Range(0, npt).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
            for (int c = 0; c < _nptm; c++)
            {
                int idx = order[c];
                double lam = Math.Max(evd.EigenValues[idx].Real, 0.0);
                double f = Math.Sqrt(lam) / s2;
                for (int k = 0; k < npt; k++) _zmat[k, c] = evd.EigenVectors[k, idx] * f;
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Trust-region subproblem with bounds (TRSBOX)
        // ----------------------------------------------------------------------------------------------------

        /// <summary>
        /// Approximately minimises the model within the trust region of radius delta around xopt and the bounds.
        /// Sets d, xnew and gnew (model gradient at xopt + d); dsq = |d|^2; crvmin = least curvature seen on CG
        /// steps (0 when the boundary was reached, -1 when undefined).
        /// </summary>
        private void Trsbox(double delta, out double dsq, out double crvmin)
        {
            int n = _n;
            var d = _d; var s = _s; var hs = _hs; var hred = _hred; var gnew = _gnew; var xbdi = _xbdi;
            int iterc = 0, nact = 0, itermax = 0, iact;
            for (int i = 0; i < n; i++)
            {
                xbdi[i] = 0;
                if (_xopt[i] <= _sl[i]) { if (_gopt[i] >= 0) xbdi[i] = -1; }
                else if (_xopt[i] >= _su[i] && _gopt[i] <= 0) xbdi[i] = 1;
                if (xbdi[i] != 0) nact++;
                d[i] = 0;
                gnew[i] = _gopt[i];
            }
            double delsq = delta * delta, qred = 0, beta = 0, gredsq = 0, ggsav = 0;
            crvmin = -1.0;

        ConjugateGradient:
            double stepsq = 0;
            for (int i = 0; i < n; i++)
            {
                if (xbdi[i] != 0) s[i] = 0;
                else if (beta == 0) s[i] = -gnew[i];
                else s[i] = beta * s[i] - gnew[i];
                stepsq += s[i] * s[i];
            }
            if (stepsq == 0) goto Done;
            if (beta == 0)
            {
                gredsq = stepsq;
                itermax = iterc + n - nact;
            }
            if (gredsq * delsq <= 1e-4 * qred * qred) goto Done;
            HessianTimes(s, hs);
            {
                double resid = delsq, ds = 0, shs = 0;
                for (int i = 0; i < n; i++)
                {
                    if (xbdi[i] != 0) continue;
                    resid -= d[i] * d[i];
                    ds += s[i] * d[i];
                    shs += s[i] * hs[i];
                }
                if (resid <= 0) goto Boundary;
                double temp = Math.Sqrt(stepsq * resid + ds * ds);
                double blen = ds < 0 ? (temp - ds) / stepsq : resid / (temp + ds);
                double stplen = blen;
                if (shs > 0) stplen = Math.Min(blen, gredsq / shs);
                iact = -1;
                for (int i = 0; i < n; i++)
                {
                    if (s[i] == 0) continue;
                    double xsum = _xopt[i] + d[i];
                    double t = s[i] > 0 ? (_su[i] - xsum) / s[i] : (_sl[i] - xsum) / s[i];
                    if (t < stplen) { stplen = t; iact = i; }
                }
                double sdec = 0;
                if (stplen > 0)
                {
                    iterc++;
                    double c = shs / stepsq;
                    if (iact < 0 && c > 0) crvmin = crvmin == -1.0 ? c : Math.Min(crvmin, c);
                    ggsav = gredsq;
                    gredsq = 0;
                    for (int i = 0; i < n; i++)
                    {
                        gnew[i] += stplen * hs[i];
                        if (xbdi[i] == 0) gredsq += gnew[i] * gnew[i];
                        d[i] += stplen * s[i];
                    }
                    sdec = Math.Max(stplen * (ggsav - 0.5 * stplen * shs), 0.0);
                    qred += sdec;
                }
                if (iact >= 0)
                {
                    nact++;
                    xbdi[iact] = s[iact] < 0 ? -1 : 1;
                    delsq -= d[iact] * d[iact];
                    if (delsq <= 0) goto Boundary;
                    beta = 0;
                    goto ConjugateGradient;
                }
                if (stplen < blen)
                {
                    if (iterc == itermax) goto Done;
                    if (sdec <= 0.01 * qred) goto Done;
                    beta = gredsq / ggsav;
                    goto ConjugateGradient;
                }
            }

        Boundary:
            crvmin = 0;
            // Alternate search on the trust-region boundary, rotating d in the plane of d and the reduced gradient.
            double dredsq, dredg;
        NewActiveSet:
            if (nact >= n - 1) goto Done;
            dredsq = 0; dredg = 0; gredsq = 0;
            for (int i = 0; i < n; i++)
            {
                if (xbdi[i] == 0)
                {
                    dredsq += d[i] * d[i];
                    dredg += d[i] * gnew[i];
                    gredsq += gnew[i] * gnew[i];
                    s[i] = d[i];
                }
                else s[i] = 0;
            }
            HessianTimes(s, hred);
        Rotate:
            {
                double temp = gredsq * dredsq - dredg * dredg;
                if (temp <= 1e-4 * qred * qred) goto Done;
                temp = Math.Sqrt(temp);
                for (int i = 0; i < n; i++) s[i] = xbdi[i] == 0 ? (dredg * d[i] - dredsq * gnew[i]) / temp : 0;
                double sredg = -temp;
                double angbd = 1.0;
                iact = -1;
                int xsav = 0;
                for (int i = 0; i < n; i++)
                {
                    if (xbdi[i] != 0) continue;
                    double tempa = _xopt[i] + d[i] - _sl[i];
                    double tempb = _su[i] - _xopt[i] - d[i];
                    if (tempa <= 0) { nact++; xbdi[i] = -1; goto NewActiveSet; }
                    if (tempb <= 0) { nact++; xbdi[i] = 1; goto NewActiveSet; }
                    double ssq = d[i] * d[i] + s[i] * s[i];
                    double t = ssq - (_xopt[i] - _sl[i]) * (_xopt[i] - _sl[i]);
                    if (t > 0)
                    {
                        t = Math.Sqrt(t) - s[i];
                        if (angbd * t > tempa) { angbd = tempa / t; iact = i; xsav = -1; }
                    }
                    t = ssq - (_su[i] - _xopt[i]) * (_su[i] - _xopt[i]);
                    if (t > 0)
                    {
                        t = Math.Sqrt(t) + s[i];
                        if (angbd * t > tempb) { angbd = tempb / t; iact = i; xsav = 1; }
                    }
                }
                HessianTimes(s, hs);
                double shs = 0, dhs = 0, dhd = 0;
                for (int i = 0; i < n; i++)
                {
                    if (xbdi[i] != 0) continue;
                    shs += s[i] * hs[i];
                    dhs += d[i] * hs[i];
                    dhd += d[i] * hred[i];
                }
                // Reduction of the model for the rotation with tan(theta/2) = t.
                double Reduction(double tt)
                {
                    double sth = 2.0 * tt / (1.0 + tt * tt);
                    return sth * (tt * dredg - sredg - 0.5 * sth * (shs + tt * tt * dhd - 2.0 * tt * dhs));
                }
                double redmax = 0, redsav = 0, rdprev = 0, rdnext = 0;
                int isav = -1;
                int iu = (int)(17.0 * angbd + 3.1);
                for (int j = 1; j <= iu; j++)
                {
                    double angt = angbd * j / iu;
                    double rednew = Reduction(angt);
                    if (rednew > redmax) { redmax = rednew; isav = j; rdprev = redsav; }
                    else if (j == isav + 1) rdnext = rednew;
                    redsav = rednew;
                }
                if (isav < 0) goto Done;
                double ang = angbd;
                if (isav < iu)
                {
                    double den = redmax + redmax - rdprev - rdnext;
                    double frac = den != 0 ? (rdnext - rdprev) / den : 0;
                    ang = angbd * (isav + 0.5 * frac) / iu;
                }
                double cth = (1.0 - ang * ang) / (1.0 + ang * ang);
                double sthf = 2.0 * ang / (1.0 + ang * ang);
                double reduc = Reduction(ang);
                if (reduc <= 0) goto Done;
                dredg = 0; gredsq = 0;
                for (int i = 0; i < n; i++)
                {
                    gnew[i] += (cth - 1.0) * hred[i] + sthf * hs[i];
                    if (xbdi[i] == 0)
                    {
                        d[i] = cth * d[i] + sthf * s[i];
                        dredg += d[i] * gnew[i];
                        gredsq += gnew[i] * gnew[i];
                    }
                    hred[i] = cth * hred[i] + sthf * hs[i];
                }
                qred += reduc;
                double ratio = reduc / qred;
                if (iact >= 0 && isav == iu)
                {
                    nact++;
                    xbdi[iact] = xsav;
                    goto NewActiveSet;
                }
                if (ratio > 0.01) goto Rotate;
            }

        Done:
            dsq = 0;
            for (int i = 0; i < n; i++)
            {
                double x = Math.Max(Math.Min(_xopt[i] + d[i], _su[i]), _sl[i]);
                if (xbdi[i] == -1) x = _sl[i];
                if (xbdi[i] == 1) x = _su[i];
                _xnew[i] = x;
                d[i] = x - _xopt[i];
                dsq += d[i] * d[i];
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Geometry step (ALTMOV)
        // ----------------------------------------------------------------------------------------------------

        /// <summary>
        /// Chooses xnew within distance adelt of xopt (and the bounds) to make the denominator of the update for
        /// replacing point knew large: the best of line searches towards the other points, and (in xalt, with its
        /// value in cauchy) a projected Cauchy-like step on the Lagrange function. alpha = Omega[knew, knew].
        /// </summary>
        private void Altmov(int knew, double adelt, out double alpha, out double cauchy)
        {
            int n = _n, npt = _npt;
            var hcol = _hcol; var glag = _glag;
            for (int k = 0; k < npt; k++)
            {
                double t = 0;
                for (int j = 0; j < _nptm; j++) t += _zmat[knew, j] * _zmat[k, j];
                hcol[k] = t;
            }
            alpha = hcol[knew];
            double ha = 0.5 * alpha;
            for (int i = 0; i < n; i++) glag[i] = _bmat[knew, i];
            for (int k = 0; k < npt; k++)
            {
                double t = 0;
                for (int j = 0; j < n; j++) t += _xpt[k, j] * _xopt[j];
                t *= hcol[k];
                for (int i = 0; i < n; i++) glag[i] += t * _xpt[k, i];
            }

            // Line searches from xopt through each other interpolation point.
            double presav = 0, stpsav = 0;
            int ksav = -1, ibdsav = 0;
            for (int k = 0; k < npt; k++)
            {
                if (k == _kopt) continue;
                double dderiv = 0, distsq = 0;
                for (int i = 0; i < n; i++)
                {
                    double t = _xpt[k, i] - _xopt[i];
                    dderiv += glag[i] * t;
                    distsq += t * t;
                }
                double subd = adelt / Math.Sqrt(distsq);
                double slbd = -subd;
                int ilbd = 0, iubd = 0;
                double sumin = Math.Min(1.0, subd);
                for (int i = 0; i < n; i++)
                {
                    double t = _xpt[k, i] - _xopt[i];
                    if (t > 0)
                    {
                        if (slbd * t < _sl[i] - _xopt[i]) { slbd = (_sl[i] - _xopt[i]) / t; ilbd = -(i + 1); }
                        if (subd * t > _su[i] - _xopt[i]) { subd = Math.Max(sumin, (_su[i] - _xopt[i]) / t); iubd = i + 1; }
                    }
                    else if (t < 0)
                    {
                        if (slbd * t > _su[i] - _xopt[i]) { slbd = (_su[i] - _xopt[i]) / t; ilbd = i + 1; }
                        if (subd * t < _sl[i] - _xopt[i]) { subd = Math.Max(sumin, (_sl[i] - _xopt[i]) / t); iubd = -(i + 1); }
                    }
                }
                double step, vlag;
                int isbd;
                if (k == knew)
                {
                    // l(a) = a * (dderiv - a * (dderiv - 1)) along the line.
                    double diff = dderiv - 1.0;
                    step = slbd; vlag = slbd * (dderiv - slbd * diff); isbd = ilbd;
                    double t = subd * (dderiv - subd * diff);
                    if (Math.Abs(t) > Math.Abs(vlag)) { step = subd; vlag = t; isbd = iubd; }
                    double tempd = 0.5 * dderiv;
                    double tempa = tempd - diff * slbd, tempb = tempd - diff * subd;
                    if (tempa * tempb < 0)
                    {
                        t = tempd * tempd / diff;
                        if (Math.Abs(t) > Math.Abs(vlag)) { step = tempd / diff; vlag = t; isbd = 0; }
                    }
                }
                else
                {
                    // l(a) = dderiv * a * (1 - a) along the line.
                    step = slbd; vlag = slbd * (1.0 - slbd); isbd = ilbd;
                    double t = subd * (1.0 - subd);
                    if (Math.Abs(t) > Math.Abs(vlag)) { step = subd; vlag = t; isbd = iubd; }
                    if (subd > 0.5 && Math.Abs(vlag) < 0.25) { step = 0.5; vlag = 0.25; isbd = 0; }
                    vlag *= dderiv;
                }
                double tt = step * (1.0 - step) * distsq;
                double predsq = vlag * vlag * (vlag * vlag + ha * tt * tt);
                if (predsq > presav) { presav = predsq; ksav = k; stpsav = step; ibdsav = isbd; }
            }
            if (ksav < 0)
            {
                // Degenerate (all line searches useless): fall back to the Cauchy step below.
                for (int i = 0; i < n; i++) _xnew[i] = _xopt[i];
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    double t = _xopt[i] + stpsav * (_xpt[ksav, i] - _xopt[i]);
                    _xnew[i] = Math.Max(_sl[i], Math.Min(_su[i], t));
                }
                if (ibdsav < 0) _xnew[-ibdsav - 1] = _sl[-ibdsav - 1];
                if (ibdsav > 0) _xnew[ibdsav - 1] = _su[ibdsav - 1];
            }

            // Cauchy-like steps along -glag and +glag, projected on the bounds; keep the better in xalt.
            double bigstp = adelt + adelt;
            double csave = 0;
            var wv = _work;
            var xsaved = _s; // scratch (Trsbox is not active here)
            var state = _xbdi; // scratch: 1 = free, 0 = fixed at xopt/bound
            cauchy = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                double wfixsq = 0, ggfree = 0;
                for (int i = 0; i < n; i++)
                {
                    wv[i] = 0;
                    state[i] = 0;
                    double tempa = Math.Min(_xopt[i] - _sl[i], glag[i]);
                    double tempb = Math.Max(_xopt[i] - _su[i], glag[i]);
                    if (tempa > 0 || tempb < 0)
                    {
                        state[i] = 1;
                        ggfree += glag[i] * glag[i];
                    }
                }
                if (ggfree == 0) { cauchy = 0; goto Flip; }
                double step = 0;
                while (true)
                {
                    double temp = adelt * adelt - wfixsq;
                    if (!(temp > 0)) break;
                    double wsqsav = wfixsq;
                    step = Math.Sqrt(temp / ggfree);
                    ggfree = 0;
                    for (int i = 0; i < n; i++)
                    {
                        if (state[i] != 1) continue;
                        double t = _xopt[i] - step * glag[i];
                        if (t <= _sl[i]) { wv[i] = _sl[i] - _xopt[i]; state[i] = 2; wfixsq += wv[i] * wv[i]; }
                        else if (t >= _su[i]) { wv[i] = _su[i] - _xopt[i]; state[i] = 2; wfixsq += wv[i] * wv[i]; }
                        else ggfree += glag[i] * glag[i];
                    }
                    if (!(wfixsq > wsqsav && ggfree > 0)) break;
                }
                double gw = 0;
                for (int i = 0; i < n; i++)
                {
                    if (state[i] == 1)
                    {
                        wv[i] = -step * glag[i];
                        _xalt[i] = Math.Max(_sl[i], Math.Min(_su[i], _xopt[i] + wv[i]));
                    }
                    else if (state[i] == 0) _xalt[i] = _xopt[i];
                    else _xalt[i] = glag[i] > 0 ? _sl[i] : _su[i];
                    gw += glag[i] * wv[i];
                }
                double curv = 0;
                for (int k = 0; k < npt; k++)
                {
                    double t = 0;
                    for (int j = 0; j < n; j++) t += _xpt[k, j] * wv[j];
                    curv += hcol[k] * t * t;
                }
                if (pass == 1) curv = -curv;
                if (curv > -gw && curv < -gw * (1.0 + Math.Sqrt(2.0)))
                {
                    double scale = -gw / curv;
                    for (int i = 0; i < n; i++)
                        _xalt[i] = Math.Max(_sl[i], Math.Min(_su[i], _xopt[i] + scale * wv[i]));
                    cauchy = (0.5 * gw * scale) * (0.5 * gw * scale);
                }
                else cauchy = (gw + 0.5 * curv) * (gw + 0.5 * curv);
            Flip:
                if (pass == 0)
                {
                    for (int i = 0; i < n; i++) { glag[i] = -glag[i]; xsaved[i] = _xalt[i]; }
                    csave = cauchy;
                }
            }
            if (csave > cauchy)
            {
                for (int i = 0; i < n; i++) _xalt[i] = xsaved[i];
                cauchy = csave;
            }
            if (ksav < 0)
            {
                for (int i = 0; i < n; i++) _xnew[i] = _xalt[i];
            }
        }

        // ----------------------------------------------------------------------------------------------------
        // Test hooks
        // ----------------------------------------------------------------------------------------------------

        /// <summary>
        /// For tests: after initialisation, the largest error in the Lagrange conditions
        /// l_j(x_k) - l_j(x_0) = delta_jk - delta_j0 implied by BMAT/ZMAT (the constant term is not stored).
        /// </summary>
        internal double LagrangeError()
        {
            int n = _n, npt = _npt;
            double err = 0;
            for (int j = 0; j < npt; j++)
            {
                double Value(int k)
                {
                    double v = 0;
                    for (int i = 0; i < n; i++) v += _bmat[j, i] * _xpt[k, i];
                    for (int q = 0; q < npt; q++)
                    {
                        double om = 0;
                        for (int c = 0; c < _nptm; c++) om += _zmat[j, c] * _zmat[q, c];
                        double dot = 0;
                        for (int i = 0; i < n; i++) dot += _xpt[q, i] * _xpt[k, i];
                        v += 0.5 * om * dot * dot;
                    }
                    return v;
                }
                double v0 = Value(0);
                for (int k = 0; k < npt; k++)
                {
                    double expected = (j == k ? 1 : 0) - (j == 0 ? 1 : 0);
                    err = Math.Max(err, Math.Abs(Value(k) - v0 - expected));
                }
            }
            return err;
        }

        /// <summary>For tests: runs only the initialisation.</summary>
        internal bool Initialise() => Prelim(_rhobeg, double.NaN);

        /// <summary>For tests: recomputes the inverse KKT factors from the points.</summary>
        internal void Rebuild() => RebuildInverse();

        /// <summary>For tests: largest absolute entry of BMAT and of Z Z'.</summary>
        internal (double[,] Bmat, double[,] Omega) Factors()
        {
            var om = new double[_npt, _npt];
            for (int a = 0; a < _npt; a++)
                for (int b = 0; b < _npt; b++)
                    for (int c = 0; c < _nptm; c++) om[a, b] += _zmat[a, c] * _zmat[b, c];
            return ((double[,])_bmat.Clone(), om);
        }
    }
}
