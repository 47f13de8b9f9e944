using Orleans.Configuration;
using Orleans.TestingHost;

namespace Glmm.Cluster.Tests;

/// <summary>
/// Distributed fits on an Orleans test cluster (several silos in this process): the reduction equals the single-process
/// fit, the result is the same bits whatever the number of workers, and a worker killed mid-fit only costs a reload.
/// </summary>
[Collection("Orleans test cluster")]
public class DistributedFitTests
{
    private sealed class FastFailureDetection : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }

    private static void AssertClose(GlmmFit expected, GlmmFit actual, double logLikTolerance, double relative)
    {
        Assert.True(Math.Abs(expected.LogLik - actual.LogLik) <= logLikTolerance, $"logLik {actual.LogLik:R} vs {expected.LogLik:R}");
        for (int j = 0; j < expected.Beta.Count; j++)
            Assert.True(Math.Abs(expected.Beta[j] - actual.Beta[j]) <= relative * Math.Max(1e-3, Math.Abs(expected.Beta[j])), $"beta[{j}] {actual.Beta[j]:R} vs {expected.Beta[j]:R}");
        for (int j = 0; j < expected.Theta.Count; j++)
            Assert.True(Math.Abs(expected.Theta[j] - actual.Theta[j]) <= relative * Math.Max(1e-3, Math.Abs(expected.Theta[j])), $"theta[{j}] {actual.Theta[j]:R} vs {expected.Theta[j]:R}");
        for (int j = 0; j < expected.FixedEffects.Count; j++)
            Assert.True(Math.Abs(expected.FixedEffects[j].StdError - actual.FixedEffects[j].StdError) <= 1e-4 * expected.FixedEffects[j].StdError, $"se[{j}]");
    }

    [Fact]
    public async Task EqualsTheLocalFit_SameBitsForAnyWorkerCount_SurvivesAKilledWorker()
    {
        var table = ClusterData.Table(150, 12);
        var local = GlmmModel.Fit(ClusterData.Formula, table);
        var dir = ClusterData.WriteParts(table, 6);
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<FastFailureDetection>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var timeout = TimeSpan.FromSeconds(30);
            var options = new GlmmOptions { Threads = 1 };
            var three = ClusterFitter.Fit(cluster.Client, dir, ClusterData.Formula, options, timeout);
            Assert.Equal(6, three.Partitions);
            Assert.Equal(local.FixedEffects.Select(f => f.Name), three.Fit.FixedEffects.Select(f => f.Name));
            Assert.Equal(local.Nobs, three.Fit.Nobs);
            Assert.Equal(local.RandomEffects[0].Levels, three.Fit.RandomEffects[0].Levels);
            AssertClose(local, three.Fit, 1e-8, 1e-6);
            Assert.Equal(local.ConditionalModes.Count, three.Fit.ConditionalModes.Count);
            Assert.Equal(local.ConditionalModes.Select(m => m.Level), three.Fit.ConditionalModes.Select(m => m.Level));

            // A worker killed after the fifth evaluation: its partitions reactivate on the others and reload.
            var victim = cluster.SecondarySilos[0];
            var killed = ClusterFitter.Fit(cluster.Client, dir, ClusterData.Formula, options, timeout, configure: c =>
                c.AfterEvaluation = k => { if (k == 5) cluster.KillSiloAsync(victim).GetAwaiter().GetResult(); });
            Assert.True(killed.Fit.Converged);
            AssertClose(local, killed.Fit, 1e-8, 1e-6);

            // One worker left: every partition on it, the same bits as with three.
            await cluster.StopSiloAsync(cluster.SecondarySilos[0]);
            var one = ClusterFitter.Fit(cluster.Client, dir, ClusterData.Formula, options, timeout);
            Assert.Equal(1, one.Workers);
            Assert.Equal(three.Fit.LogLik, one.Fit.LogLik);
            Assert.Equal(three.Fit.Beta, one.Fit.Beta);
            Assert.Equal(three.Fit.Theta, one.Fit.Theta);
            Assert.Equal(three.Fit.Evaluations, one.Fit.Evaluations);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void RefusesWhatTheClusterCannotFit()
    {
        Assert.Contains("--nagq 0", Assert.Throws<GlmmInputException>(() => ClusterFitter.Check(ClusterData.Formula, new GlmmOptions { NAgq = 0 })).Message);
        Assert.Contains("--nagq 5", Assert.Throws<GlmmInputException>(() => ClusterFitter.Check(ClusterData.Formula, new GlmmOptions { NAgq = 5 })).Message);
        Assert.Contains("--solver iterative", Assert.Throws<GlmmInputException>(() => ClusterFitter.Check(ClusterData.Formula, new GlmmOptions { Solver = LinearSolver.Iterative })).Message);
        Assert.Contains("crossed", Assert.Throws<GlmmInputException>(() => ClusterFitter.Check("y ~ x + (1 | a) + (1 | b)", new GlmmOptions())).Message);
        Assert.Contains("scale()", Assert.Throws<GlmmInputException>(() => ClusterFitter.Check("y ~ scale(x) + (1 | g)", new GlmmOptions())).Message);
    }
}
