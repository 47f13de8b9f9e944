using System.Globalization;
using Glmm.Data;

namespace Glmm.Tests.Data;

public sealed class FieldValueParserTests
{
    [Fact]
    public void DecimalParsingIsCorrectlyRoundedOnTheFastPathAndOffIt()
    {
        var rng = new Random(12345);
        var formats = new[] { "F0", "F1", "F2", "F4", "F6", "G6", "G10", "G15", "G17", "R", "E3", "E14", "E16" };
        int checkedCount = 0;
        for (int k = 0; k < 20000; k++)
        {
            double magnitude = Math.Pow(10, rng.Next(-30, 30));
            double x = (rng.NextDouble() - 0.5) * magnitude;
            foreach (var f in formats)
            {
                string s = x.ToString(f, CultureInfo.InvariantCulture);
                Assert.True(FieldValueParser.TryParseNumber(s, out double v), s);
                double expected = double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(v),
                    $"{s}: got {v:R}, expected {expected:R}");
                checkedCount++;
            }
        }
        Assert.Equal(20000 * formats.Length, checkedCount);
    }

    [Theory]
    [InlineData("0.1", 0.1)]
    [InlineData("000.000", 0.0)]
    [InlineData("-0.0025", -0.0025)]
    [InlineData("123456789012345", 123456789012345.0)]
    [InlineData("1234567890123456789012", 1.234567890123456789012e21)]
    [InlineData("0.000000000000000000000000001", 1e-27)]
    [InlineData("9007199254740993", 9007199254740992.0)]
    [InlineData("1.7976931348623157e308", double.MaxValue)]
    [InlineData("4.9e-324", double.Epsilon)]
    [InlineData("1e-400", 0.0)]
    [InlineData(" \t12.5\r\n", 12.5)]
    [InlineData("0X1f", 31.0)]
    [InlineData("-0x10p-2", -4.0)]
    public void ParsesEdgeCases(string text, double expected)
    {
        Assert.True(FieldValueParser.TryParseNumber(text, out double v));
        Assert.Equal(expected, v);
    }

    [Fact]
    public void NegativeZeroKeepsItsSign()
    {
        Assert.True(FieldValueParser.TryParseNumber("-0", out double v));
        Assert.True(double.IsNegative(v));
        Assert.False(FieldValueParser.TryParseCanonicalInteger("-0", out _));
    }

    [Theory]
    [InlineData("12", true)]
    [InlineData("-12", true)]
    [InlineData("0", true)]
    [InlineData("012", false)]
    [InlineData("+12", false)]
    [InlineData("1234567890123456", false)]
    [InlineData("12 ", false)]
    public void CanonicalIntegersAreThoseThatFormatBackToTheSameText(string text, bool canonical)
    {
        Assert.Equal(canonical, FieldValueParser.TryParseCanonicalInteger(text, out double v));
        if (canonical) Assert.Equal(text, v.ToString(CultureInfo.InvariantCulture));
    }
}
