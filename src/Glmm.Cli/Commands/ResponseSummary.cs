using System.Globalization;
using Glmm.Model;

namespace Glmm.Cli.Commands;

/// <summary>A short description of the response: its kind and a few numbers (for text and JSON output).</summary>
internal sealed record ResponseSummary(string Kind, string Text, IReadOnlyList<(string Key, double Value)> Values)
{
    public static ResponseSummary Of(ModelStructure m)
    {
        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var y = m.Y;
        switch (m.ResponseKind)
        {
            case ResponseKind.Binary:
            {
                int ones = y.Count(v => v == 1);
                return new("binary", $"binary (0/1), {ones.ToString(CultureInfo.InvariantCulture)} ones and {(y.Length - ones).ToString(CultureInfo.InvariantCulture)} zeros",
                    new[] { ("ones", (double)ones), ("zeros", (double)(y.Length - ones)) });
            }
            case ResponseKind.SuccessFailure:
            {
                double trials = 0, successes = 0;
                for (int i = 0; i < y.Length; i++) { trials += m.Weights[i]; successes += y[i] * m.Weights[i]; }
                return new("successFailure", $"successes/trials, {F(successes)} successes in {F(trials)} trials (proportion {F(successes / trials)})",
                    new[] { ("successes", successes), ("trials", trials) });
            }
            default:
            {
                double min = y.Min(), max = y.Max(), mean = y.Average();
                return new("numeric", $"numeric, min {F(min)}, mean {F(mean)}, max {F(max)}",
                    new[] { ("min", min), ("mean", mean), ("max", max) });
            }
        }
    }
}
