namespace Glmm.Quadrature;
#pragma warning disable CS1591
public sealed class QuadratureRule { public int Dimension; public int Count; public double[] Nodes = []; public double[] Weights = []; }
public static class ProductGrid { public static QuadratureRule Create(int q, int k) => throw new NotImplementedException(); }
public static class SparseGrid { public static QuadratureRule Create(int q, int k) => throw new NotImplementedException(); }
