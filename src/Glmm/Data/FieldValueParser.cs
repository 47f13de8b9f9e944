using System.Globalization;
using System.Runtime.CompilerServices;

namespace Glmm.Data;

/// <summary>
/// Recognises the text of one CSV field the way R's <c>type.convert</c> (used by <c>read.csv</c>) does:
/// numbers (decimal, hexadecimal, <c>Inf</c>, <c>NaN</c>, surrounding white space allowed) and the
/// eight spellings of a logical value. Works on spans so that no string is allocated.
/// </summary>
internal static class FieldValueParser
{
    /// <summary>The spellings R accepts as logical values, in a fixed order (index = variant code).</summary>
    internal static readonly string[] LogicalSpellings = ["FALSE", "TRUE", "F", "T"];

    /// <summary>True for the white space characters R's isspace recognises (tab, LF, VT, FF, CR, space).</summary>
    internal static bool IsSpace(char c) => c == ' ' || (c >= '\t' && c <= '\r');

    /// <summary>True when the field is non-empty and consists only of white space.</summary>
    internal static bool IsBlank(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return false;
        foreach (char c in s) if (!IsSpace(c)) return false;
        return true;
    }

    /// <summary>
    /// Fast path: a plain integer of at most 15 digits, optionally negative, without leading zeros
    /// (so the text is exactly what formatting the value back gives).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseCanonicalInteger(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == '-') { negative = true; i = 1; }
        int digits = s.Length - i;
        if (digits < 1 || digits > 15) return false;
        if (s[i] == '0' && (digits > 1 || negative)) return false;
        long v = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            v = v * 10 + d;
        }
        value = negative ? -v : v;
        return true;
    }

    /// <summary>
    /// Parses a number as R's type.convert accepts it: optional surrounding white space, optional sign,
    /// then a decimal number (digits, optional point, optional exponent; R also accepts a dangling
    /// "e" or "e+" as exponent 0), a hexadecimal number (0x..., optional binary exponent p...),
    /// Inf / infinity / NaN (any case). Returns false for anything else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseNumber(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;
        while (end > start && IsSpace(s[end - 1])) end--;
        if (start == end) return false;
        var t = s[start..end];

        bool negative = false;
        int i = 0;
        if (t[0] == '-') { negative = true; i = 1; }
        else if (t[0] == '+') i = 1;
        if (i == t.Length) return false;
        var body = t[i..];

        char c0 = body[0];
        if ((c0 >= '0' && c0 <= '9') || c0 == '.')
        {
            if (body.Length > 2 && c0 == '0' && (body[1] == 'x' || body[1] == 'X'))
            {
                if (!TryParseHex(body[2..], out value)) return false;
            }
            else if (!TryParseDecimal(body, out value)) return false;
        }
        else if (body.Equals("Inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
            value = double.PositiveInfinity;
        else if (body.Equals("NaN", StringComparison.OrdinalIgnoreCase))
            value = double.NaN;
        else
            return false;

        if (negative) value = -value;
        return true;
    }

    // Exact powers of ten (10^22 is the largest one a double holds exactly).
    private static readonly double[] ExactPowersOf10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Validates and parses an unsigned decimal number. Numbers with at most 15 significant digits and a
    /// decimal exponent within ±22 are computed as one exact integer times or divided by an exact power
    /// of ten (Clinger's fast path: correctly rounded); others are handed to <see cref="double.TryParse(ReadOnlySpan{char}, NumberStyles, IFormatProvider?, out double)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryParseDecimal(ReadOnlySpan<char> body, out double value)
    {
        value = 0;
        int i = 0, mantissaDigits = 0, significant = 0, scale = 0;
        ulong mantissa = 0;
        bool inexact = false;
        while (i < body.Length)
        {
            uint d = (uint)(body[i] - '0');
            if (d > 9) break;
            i++; mantissaDigits++;
            if (mantissa == 0 && d == 0) continue;
            if (significant < 19) { mantissa = mantissa * 10 + d; significant++; }
            else { inexact = true; scale++; }
        }
        if (i < body.Length && body[i] == '.')
        {
            i++;
            while (i < body.Length)
            {
                uint d = (uint)(body[i] - '0');
                if (d > 9) break;
                i++; mantissaDigits++;
                if (mantissa == 0 && d == 0) { scale--; continue; }
                if (significant < 19) { mantissa = mantissa * 10 + d; significant++; scale--; }
                else inexact = true;
            }
        }
        if (mantissaDigits == 0) return false;
        int mantissaEnd = i;
        int exponent = 0;
        if (i < body.Length)
        {
            if (body[i] != 'e' && body[i] != 'E') return false;
            i++;
            bool negativeExponent = false;
            if (i < body.Length && (body[i] == '+' || body[i] == '-')) { negativeExponent = body[i] == '-'; i++; }
            int expDigits = 0;
            while (i < body.Length && char.IsAsciiDigit(body[i]))
            {
                if (exponent < 100000) exponent = exponent * 10 + (body[i] - '0');
                i++; expDigits++;
            }
            if (i != body.Length) return false;
            // R accepts "1e" and "1e+" as 1 (the missing exponent counts as 0).
            if (expDigits == 0) body = body[..mantissaEnd];
            if (negativeExponent) exponent = -exponent;
        }

        if (mantissa == 0) return true; // all digits zero (value stays +0; the caller applies the sign)
        int power = scale + exponent;
        if (!inexact && significant <= 15 && power >= -22 && power <= 22)
        {
            value = power >= 0 ? mantissa * ExactPowersOf10[power] : mantissa / ExactPowersOf10[-power];
            return true;
        }
        return double.TryParse(body, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseHex(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        int i = 0;
        double mantissa = 0;
        while (i < s.Length)
        {
            int d = HexDigit(s[i]);
            if (d < 0) break;
            mantissa = mantissa * 16 + d;
            i++;
        }
        if (i == 0) return false;
        int exponent = 0;
        if (i < s.Length)
        {
            if (s[i] != 'p' && s[i] != 'P') return false;
            i++;
            bool negExp = false;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negExp = s[i] == '-'; i++; }
            int expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                if (exponent < 100000) exponent = exponent * 10 + (s[i] - '0');
                i++; expDigits++;
            }
            if (expDigits == 0 || i != s.Length) return false;
            if (negExp) exponent = -exponent;
        }
        value = Math.ScaleB(mantissa, exponent);
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// Recognises the logical spellings R's type.convert accepts (exact, no white space): FALSE, TRUE, F, T. (R 4.2 reads
    /// true, false, True and False as text: a column of them is categorical.) <paramref name="variant"/> is the index into
    /// <see cref="LogicalSpellings"/>; its parity is the value (odd = TRUE).
    /// </summary>
    internal static bool TryParseLogical(ReadOnlySpan<char> s, out int variant)
    {
        variant = -1;
        if (s.Length == 0 || s.Length > 5) return false;
        char c = s[0];
        if (c != 'T' && c != 'F') return false;
        var spellings = LogicalSpellings;
        for (int k = 0; k < spellings.Length; k++)
        {
            if (s.SequenceEqual(spellings[k])) { variant = k; return true; }
        }
        return false;
    }
}
