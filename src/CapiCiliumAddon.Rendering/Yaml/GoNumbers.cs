using System.Globalization;

namespace CapiCiliumAddon.Rendering.Yaml;

/// <summary>
/// The number parsing of Go's <c>strconv</c> package, as far as go-yaml v2's resolver uses it: <c>ParseInt</c> and
/// <c>ParseUint</c> (base 0 reads the prefixes <c>0x</c>, <c>0o</c>, <c>0b</c> and a bare leading <c>0</c> as octal;
/// an explicit base takes no prefix; only <c>ParseInt</c> takes a sign), and <c>ParseFloat</c> of decimal text (which
/// fails on a value beyond the range of a float64 instead of returning infinity), with <c>underscoreOK</c>'s rule for
/// digit separators. Each returns false where Go returns an error.
/// </summary>
internal static class GoNumbers
{
    public static bool TryParseInt(ReadOnlySpan<char> s, int numberBase, out long value)
    {
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }

        var negative = s[0] == '-';
        if (s[0] is '+' or '-')
        {
            s = s[1..];
        }

        if (!TryParseUint(s, numberBase, out var magnitude))
        {
            return false;
        }

        const ulong cutoff = 1UL << 63;
        if ((!negative && magnitude >= cutoff) || (negative && magnitude > cutoff))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    public static bool TryParseUint(ReadOnlySpan<char> s, int numberBase, out ulong value)
    {
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }

        var withUnderscores = numberBase == 0;
        var original = s;
        if (numberBase == 0)
        {
            numberBase = 10;
            if (s[0] == '0')
            {
                var prefix = s.Length >= 3 ? char.ToLowerInvariant(s[1]) : '\0';
                numberBase = prefix switch
                {
                    'b' => 2,
                    'o' => 8,
                    'x' => 16,
                    _ => 8,
                };
                s = prefix is 'b' or 'o' or 'x' ? s[2..] : s[1..];
            }
        }

        var underscores = false;
        foreach (var c in s)
        {
            int digit;
            if (c == '_' && withUnderscores)
            {
                underscores = true;
                continue;
            }
            else if (c is >= '0' and <= '9')
            {
                digit = c - '0';
            }
            else if (char.ToLowerInvariant(c) is >= 'a' and <= 'z')
            {
                digit = char.ToLowerInvariant(c) - 'a' + 10;
            }
            else
            {
                return false;
            }

            if (digit >= numberBase)
            {
                return false;
            }

            var shifted = value * (ulong)numberBase;
            if (value != 0 && shifted / (ulong)numberBase != value)
            {
                return false;
            }

            var next = shifted + (ulong)digit;
            if (next < shifted)
            {
                return false;
            }

            value = next;
        }

        return !underscores || UnderscoresOk(original);
    }

    /// <summary>
    /// <c>strconv.ParseFloat(s, 64)</c> for decimal text (the only kind go-yaml v2 hands it: text starting with '.',
    /// or text its float pattern already matched); hexadecimal floats and the words inf/nan are not decimal text.
    /// </summary>
    public static bool TryParseDecimalFloat(string s, out double value)
    {
        value = 0;
        var digits = s.Contains('_', StringComparison.Ordinal) ? s.Replace("_", "", StringComparison.Ordinal) : s;
        if (!IsDecimalFloat(digits) || (digits.Length != s.Length && !UnderscoresOk(s)))
        {
            return false;
        }

        value = double.Parse(digits, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
        return !double.IsInfinity(value); // Go reports "value out of range" where .NET rounds to infinity.
    }

    /// <summary>[sign] digits [. digits] [e [sign] digits], with at least one mantissa digit and nothing else.</summary>
    private static bool IsDecimalFloat(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] is '+' or '-')
        {
            i++;
        }

        var mantissaDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            mantissaDigits++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                mantissaDigits++;
            }
        }

        if (mantissaDigits == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }

            var exponentDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                exponentDigits++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    /// <summary>Go's <c>underscoreOK</c>: an underscore only between digits, or between a base prefix and a digit.</summary>
    private static bool UnderscoresOk(ReadOnlySpan<char> s)
    {
        var saw = '^';
        var i = 0;
        if (s.Length >= 1 && s[0] is '-' or '+')
        {
            s = s[1..];
        }

        var hex = false;
        if (s.Length >= 2 && s[0] == '0' && char.ToLowerInvariant(s[1]) is 'b' or 'o' or 'x')
        {
            i = 2;
            saw = '0';
            hex = char.ToLowerInvariant(s[1]) == 'x';
        }

        for (; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i]) || (hex && char.ToLowerInvariant(s[i]) is >= 'a' and <= 'f'))
            {
                saw = '0';
                continue;
            }

            if (s[i] == '_')
            {
                if (saw != '0')
                {
                    return false;
                }

                saw = '_';
                continue;
            }

            if (saw == '_')
            {
                return false;
            }

            saw = '!';
        }

        return saw != '_';
    }

    /// <summary>
    /// <c>strconv.FormatFloat(f, 'g', -1, 32)</c>, with go-yaml's names for the infinities and NaN: how
    /// sigs.k8s.io/yaml turns a float mapping key into a JSON key (so the key <c>1.10</c> becomes "1.1").
    /// </summary>
    public static string FormatFloatKey(double value)
    {
        if (double.IsNaN(value))
        {
            return ".nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? ".inf" : "-.inf";
        }

        var single = (float)value;
        if (single == 0)
        {
            return float.IsNegative(single) ? "-0" : "0";
        }

        // The shortest digits that read back as this float32, and the decimal exponent of the first one.
        var shortest = single.ToString("E8", CultureInfo.InvariantCulture);
        for (var precision = 1; precision <= 9; precision++)
        {
            var candidate = single.ToString("E" + (precision - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (float.Parse(candidate, CultureInfo.InvariantCulture) == single)
            {
                shortest = candidate;
                break;
            }
        }

        var negative = shortest[0] == '-';
        var body = negative ? shortest[1..] : shortest;
        var e = body.IndexOf('E', StringComparison.Ordinal);
        var digits = body[..e].Replace(".", "", StringComparison.Ordinal).TrimEnd('0');
        digits = digits.Length == 0 ? "0" : digits;
        var exponent = int.Parse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        string text;
        if (exponent < -4 || exponent >= 6)
        {
            // %e: d.ddde±dd, at least two exponent digits.
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            var magnitude = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
            text = $"{mantissa}e{(exponent < 0 ? '-' : '+')}{magnitude}";
        }
        else if (exponent < 0)
        {
            text = "0." + new string('0', -exponent - 1) + digits;
        }
        else if (digits.Length <= exponent + 1)
        {
            text = digits + new string('0', exponent + 1 - digits.Length);
        }
        else
        {
            text = digits[..(exponent + 1)] + "." + digits[(exponent + 1)..];
        }

        return negative ? "-" + text : text;
    }
}
