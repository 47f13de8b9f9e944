using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Glmm.Data;

/// <summary>
/// Collects the fields of one CSV column and decides its type at the end, as R's read.csv does:
/// numeric when every non-missing field is a number, logical when every one is a logical spelling,
/// otherwise categorical. Numeric cells are parsed once into a double buffer without allocating a
/// string; their text is kept only when formatting the value back would not reproduce it (so that a
/// column that turns categorical late still has the original text of every cell as its level).
/// Once the column is known to be categorical, fields are interned straight from spans.
/// </summary>
internal sealed class InferringColumnBuilder
{
    private enum Kind : byte
    {
        /// <summary>NA: missing in every type.</summary>
        Missing,
        /// <summary>Canonical integer: the text is the formatted value.</summary>
        Integer,
        /// <summary>Other number: the text is the next entry of the arena (entries are in row order).</summary>
        Number,
        /// <summary>Empty or white space only: missing when numeric or logical, a level ("" or the spaces) when categorical, as
        /// R's read.csv; <c>_ref</c> is the string id.</summary>
        Blank,
        /// <summary>Any other text: <c>_ref</c> is the string id.</summary>
        Text,
        /// <summary>Logical spelling: the kind minus <see cref="Logical"/> is the variant (index into <see cref="FieldValueParser.LogicalSpellings"/>).</summary>
        Logical,
    }

    private const int InitialCapacity = 1024;

    private readonly string _name;
    private int _count;
    private Kind[] _kind = new Kind[InitialCapacity];
    private double[]? _number;
    private int[]? _ref;
    private byte[]? _arena;
    private int _arenaLength;

    private Dictionary<string, int>? _ids;
    private List<string>? _texts;

    private bool _anyNumber, _anyLogical, _anyText;

    /// <summary>Creates an empty builder for the column called <paramref name="name"/>.</summary>
    public InferringColumnBuilder(string name) => _name = name;

    /// <summary>True once the column can only be categorical (every later field is interned as text).</summary>
    private bool IsText => _anyText || (_anyNumber && _anyLogical);

    /// <summary>Adds one field (already unquoted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<char> field)
    {
        int row = _count;
        if (row == _kind.Length) Grow();
        _count = row + 1;

        if (field.Length == 2 && field[0] == 'N' && field[1] == 'A')
        {
            _kind[row] = Kind.Missing;
            return;
        }

        if (field.Length == 0)
        {
            _kind[row] = Kind.Blank;
            Refs()[row] = Intern(field);
            return;
        }

        if (IsText)
        {
            _kind[row] = Kind.Text;
            Refs()[row] = Intern(field);
            return;
        }

        if (FieldValueParser.TryParseCanonicalInteger(field, out double v))
        {
            _kind[row] = Kind.Integer;
            Numbers()[row] = v;
            _anyNumber = true;
            return;
        }

        if (FieldValueParser.TryParseNumber(field, out v))
        {
            _kind[row] = Kind.Number;
            Numbers()[row] = v;
            AppendToArena(field);
            _anyNumber = true;
            return;
        }

        if (FieldValueParser.TryParseLogical(field, out int variant))
        {
            _kind[row] = (Kind)((int)Kind.Logical + variant);
            _anyLogical = true;
            return;
        }

        if (FieldValueParser.IsBlank(field))
        {
            _kind[row] = Kind.Blank;
            Refs()[row] = Intern(field);
            return;
        }

        _kind[row] = Kind.Text;
        Refs()[row] = Intern(field);
        _anyText = true;
    }

    /// <summary>Builds the finished column with the inferred type.</summary>
    public Column Build()
    {
        if (IsText) return BuildCategorical();
        if (_anyNumber) return BuildNumeric();
        return BuildLogical();
    }

    private NumericColumn BuildNumeric()
    {
        var values = new double[_count];
        bool[]? missing = null;
        var numbers = _number!;
        for (int i = 0; i < values.Length; i++)
        {
            var k = _kind[i];
            double v = k == Kind.Integer || k == Kind.Number ? numbers[i] : double.NaN;
            values[i] = v;
            if (double.IsNaN(v)) (missing ??= new bool[_count])[i] = true;
        }
        return new NumericColumn(_name, values, missing);
    }

    private LogicalColumn BuildLogical()
    {
        var values = new bool[_count];
        bool[]? missing = null;
        for (int i = 0; i < values.Length; i++)
        {
            if (_kind[i] >= Kind.Logical) values[i] = ((_kind[i] - Kind.Logical) & 1) == 1;
            else (missing ??= new bool[_count])[i] = true;
        }
        return new LogicalColumn(_name, values, missing);
    }

    private CategoricalColumn BuildCategorical()
    {
        // Give every non-missing cell a string id (numbers and logicals get the text they had in the file).
        var ids = new int[_count];
        var refs = Refs();
        Span<char> buffer = stackalloc char[64];
        int arenaOffset = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            var kind = _kind[i];
            if (kind >= Kind.Logical)
            {
                ids[i] = Intern(FieldValueParser.LogicalSpellings[kind - Kind.Logical]);
                continue;
            }
            switch (kind)
            {
                case Kind.Missing:
                    ids[i] = -1;
                    break;
                case Kind.Blank:
                case Kind.Text:
                    ids[i] = refs[i];
                    break;
                case Kind.Integer:
                    ((long)_number![i]).TryFormat(buffer, out int written, default, CultureInfo.InvariantCulture);
                    ids[i] = Intern(buffer[..written]);
                    break;
                case Kind.Number:
                    ids[i] = InternArenaText(ref arenaOffset, ref buffer);
                    break;
            }
        }

        var texts = _texts ?? [];
        var order = new int[texts.Count];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        var levels = texts.ToArray();
        Array.Sort(levels, order, StringComparer.Ordinal);
        var codeOfId = new int[texts.Count];
        for (int code = 0; code < order.Length; code++) codeOfId[order[code]] = code;

        var codes = new int[_count];
        for (int i = 0; i < codes.Length; i++) codes[i] = ids[i] < 0 ? -1 : codeOfId[ids[i]];
        return new CategoricalColumn(_name, codes, levels);
    }

    private int InternArenaText(ref int offset, ref Span<char> buffer)
    {
        var arena = _arena!;
        int length = ReadLength(arena, ref offset);
        if (length > buffer.Length) buffer = new char[length];
        for (int j = 0; j < length; j++) buffer[j] = (char)arena[offset + j];
        offset += length;
        return Intern(buffer[..length]);
    }

    private int Intern(ReadOnlySpan<char> text)
    {
        _ids ??= new Dictionary<string, int>(StringComparer.Ordinal);
        _texts ??= [];
        var lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(text, out int id)) return id;
        id = _texts.Count;
        var s = text.ToString();
        _ids.Add(s, id);
        _texts.Add(s);
        return id;
    }

    // The arena holds the text of non-canonical numbers (always ASCII) as a 7-bit length prefix
    // followed by one byte per character.
    private void AppendToArena(ReadOnlySpan<char> field)
    {
        int needed = _arenaLength + 5 + field.Length;
        if (_arena is null || needed > _arena.Length)
        {
            long size = Math.Max(needed, Math.Max(4096L, 2L * (_arena?.Length ?? 0)));
            if (size > Array.MaxLength) size = Math.Max(needed, Array.MaxLength);
            Array.Resize(ref _arena, (int)size);
        }
        int pos = _arenaLength;
        uint length = (uint)field.Length;
        while (length >= 0x80) { _arena[pos++] = (byte)(length | 0x80); length >>= 7; }
        _arena[pos++] = (byte)length;
        var status = Ascii.FromUtf16(field, _arena.AsSpan(pos), out int written);
        if (status != System.Buffers.OperationStatus.Done || written != field.Length)
            throw new InvalidOperationException("a numeric field contained a non-ASCII character");
        _arenaLength = pos + written;
    }

    private static int ReadLength(byte[] arena, ref int offset)
    {
        int length = 0, shift = 0;
        byte b;
        do
        {
            b = arena[offset++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return length;
    }

    private double[] Numbers() => _number ??= new double[_kind.Length];

    private int[] Refs() => _ref ??= new int[_kind.Length];

    private void Grow()
    {
        int size = (int)Math.Min(Array.MaxLength, 2L * _kind.Length);
        if (size <= _kind.Length) throw new InvalidOperationException("too many rows");
        Array.Resize(ref _kind, size);
        if (_number is not null) Array.Resize(ref _number, size);
        if (_ref is not null) Array.Resize(ref _ref, size);
    }
}
