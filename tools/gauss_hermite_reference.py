# High-precision Gauss-Hermite reference values (probabilists' weight, weights sum to 1) used by
# tests/Glmm.Tests/Quadrature/GaussHermiteTests.cs. Needs mpmath; not run by CI.
# Nodes: eigenvalues of the Jacobi matrix (mpmath.eigsy at 40 digits), polished by Newton on the
# orthonormal recurrence; weights 1 / sum_j p_j(z)^2.
import sys
import mpmath as mp

mp.mp.dps = 40

def orthonormal(x, k):
    p = [mp.mpf(1), x]
    for j in range(1, k):
        p.append((x * p[j] - mp.sqrt(j) * p[j - 1]) / mp.sqrt(j + 1))
    return p

def rule(k):
    J = mp.zeros(k, k)
    for i in range(k - 1):
        J[i, i + 1] = J[i + 1, i] = mp.sqrt(i + 1)
    ev = mp.eigsy(J, eigvals_only=True)
    xs = sorted(ev[i] for i in range(k))
    out = []
    for x in xs:
        for _ in range(5):
            p = orthonormal(x, k)
            x = x - p[k] / (mp.sqrt(k) * p[k - 1])
        p = orthonormal(x, k)
        out.append((x, 1 / mp.fsum(v * v for v in p[:k])))
    return out

for k in map(int, sys.argv[1:]):
    r = rule(k)
    for i, (x, w) in enumerate(r):
        if i >= k // 2:
            print(k, i, mp.nstr(x, 25), mp.nstr(w, 25))
