using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Glmm.Data;
using Glmm.Formulas;
using Glmm.Model;

namespace Glmm.Tests.Hostile;

/// <summary>A formula text drawn by <see cref="FuzzArbitraries"/>.</summary>
public sealed record FormulaText(string Text)
{
    public override string ToString() => Text;
}

/// <summary>A CSV text drawn by <see cref="FuzzArbitraries"/>.</summary>
public sealed record CsvText(string Text)
{
    public override string ToString() => Text.ReplaceLineEndings("\\n");
}

/// <summary>Generators of hostile formulas and CSV files: fragments of the formula language and of CSV, and random characters.</summary>
public static class FuzzArbitraries
{
    private static readonly string[] FormulaPieces =
    {
        "y", "x", "g", "f", "z", " ", "~", "+", "-", "*", "/", ":", "^", "|", "||", "(", ")", "((", "))", "0", "1", "2", "-1",
        ",", "I(", "log(", "exp(", "factor(", "scale(", "offset(", "cbind(", "sqrt(", ">", "==", "!=", "<=", "&", "!", "`x`",
        "`", "%in%", "%%", "\"a\"", "\"", ".", ".5", "1e", "1e308", "-1e308", "Inf", "NaN", "NA", "TRUE", "\t", "\n", "#",
        "é", "\u0000", "\uFEFF", "(1 | g)", "(x || g)", "(1 + x | g/f)", "x^2", "2^1024",
    };

    private static readonly string[] CsvPieces =
    {
        "y", "x", "g", ",", ",", "\n", "\r\n", "\r", "\"", "\"\"", "1", "0", "-", "1.5", "1e308", "1e999", "-1e999", "NA", "",
        " ", "TRUE", "false", "T", "nan", "NaN", "Inf", "-inf", "0x1A", "a", "b", "é", "\uFEFF", "\u0000", "\t", ";", "1,5",
    };

    private static Gen<string> Text(string[] pieces, int maxPieces) =>
        Gen.Choose(0, maxPieces).SelectMany(n => Gen.ArrayOf(Gen.OneOf(
            Gen.Elements(pieces),
            Gen.Choose(0, 0x2FF).Select(c => ((char)c).ToString())), n))
        .Select(string.Concat);

    public static Arbitrary<FormulaText> Formulas() =>
        Gen.OneOf(
            Text(FormulaPieces, 30),
            Text(FormulaPieces, 20).Select(s => "y ~ " + s),
            Text(FormulaPieces, 20).Select(s => "y ~ x + " + s + " + (1 | g)"))
        .Select(s => new FormulaText(s)).ToArbitrary();

    public static Arbitrary<CsvText> Csvs() =>
        Gen.OneOf(
            Text(CsvPieces, 60),
            Text(CsvPieces, 60).Select(s => "y,x,g\n" + s))
        .Select(s => new CsvText(s)).ToArbitrary();
}

/// <summary>
/// Property-based fuzzing (FsCheck, issue 13): whatever the input, the formula parser, the model builder and the CSV
/// reader either succeed or throw <see cref="GlmmInputException"/> with a one-line message — never another exception.
/// </summary>
public class FuzzTests
{
    private static readonly DataTable Data = new(new Column[]
    {
        new NumericColumn("y", new[] { 0.0, 1, 0, 1, 1, 0, 1, 0 }),
        new NumericColumn("x", new[] { 1.0, 2, 3, 4, 5, 6, 7, 8 }),
        new NumericColumn("z", new[] { 0.5, -2, 3, 1e300, 5, 6, 0, 8 }),
        CategoricalColumn.FromStrings("g", new[] { "a", "b", "c", "a", "b", "c", "a", "b" }),
        CategoricalColumn.FromStrings("f", new[] { "u", "v", "u", "v", "u", "v", "u", "v" }),
    });

    private static void OnlyInputErrors(Action action)
    {
        try { action(); }
        catch (GlmmInputException e)
        {
            Assert.DoesNotContain('\n', e.Message);
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Property(Arbitrary = new[] { typeof(FuzzArbitraries) }, MaxTest = 3000)]
    public void FormulasOnlyThrowInputErrors(FormulaText formula) =>
        OnlyInputErrors(() =>
        {
            Formula.Parse(formula.Text);
            ModelBuilder.Build(formula.Text, Data);
        });

    [Property(Arbitrary = new[] { typeof(FuzzArbitraries) }, MaxTest = 1000)]
    public void FormulasFitOrGiveInputErrors(FormulaText formula) =>
        OnlyInputErrors(() =>
        {
            var fit = GlmmModel.Fit(formula.Text, Data, new GlmmOptions { Threads = 1 });
            Assert.DoesNotContain("Infinity", fit.Summary());
            Assert.DoesNotContain("NaN", fit.Summary());
        });

    [Property(Arbitrary = new[] { typeof(FuzzArbitraries) }, MaxTest = 3000)]
    public void CsvFilesOnlyThrowInputErrors(CsvText csv) =>
        OnlyInputErrors(() => CsvTableReader.Read(new StringReader(csv.Text), "fuzz.csv"));

    [Property(Arbitrary = new[] { typeof(FuzzArbitraries) }, MaxTest = 300)]
    public void CsvFilesThatReadFitOrGiveInputErrors(CsvText csv) =>
        OnlyInputErrors(() =>
        {
            var table = CsvTableReader.Read(new StringReader(csv.Text), "fuzz.csv");
            GlmmModel.Fit("y ~ x + (1 | g)", table);
        });
}
