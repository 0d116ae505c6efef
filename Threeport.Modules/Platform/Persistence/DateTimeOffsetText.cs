using System.Globalization;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Threeport.Modules.Platform.Persistence;

// Times are stored as SQLite text in the format EF Core's SQLite provider has always written
// ("2026-11-25 16:27:55.9391234+00:00"), so stored rows and SQL comparisons are unchanged. Reading them back went
// through DateTimeOffset.Parse, which tries every culture-aware shape: a quarter of the CPU of listing 50 objects.
// This parser reads the one fixed shape directly and hands anything else to DateTimeOffset.Parse.
public static class DateTimeOffsetText
{
    private const string Format = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz";

    public static string ToText(DateTimeOffset value) => value.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        TryParseStored(text, out var value) ? value : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    public sealed class Converter() : ValueConverter<DateTimeOffset, string>(v => ToText(v), v => Parse(v));

    // yyyy-MM-dd HH:mm:ss[.f{1,7}](+|-)HH:mm
    private static bool TryParseStored(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':'
            || !Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var at = 19;
        long fraction = 0;
        if (s[at] == '.')
        {
            var digits = 0;
            for (at++; at < s.Length && char.IsAsciiDigit(s[at]); at++, digits++)
            {
                fraction = (fraction * 10) + (s[at] - '0');
            }

            if (digits is 0 or > 7)
            {
                return false;
            }

            for (; digits < 7; digits++)
            {
                fraction *= 10;
            }
        }

        if (s.Length - at != 6 || s[at] is not ('+' or '-') || s[at + 3] != ':'
            || !Digits(s, at + 1, 2, out var offsetHours) || !Digits(s, at + 4, 2, out var offsetMinutes)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59
            || offsetMinutes > 59 || (offsetHours * 60) + offsetMinutes > 14 * 60)
        {
            return false;
        }

        var offset = new TimeSpan(offsetHours, offsetMinutes, 0);
        var local = new DateTime(year, month, day, hour, minute, second).AddTicks(fraction);
        if (local < DateTime.MinValue.AddDays(1) || local > DateTime.MaxValue.AddDays(-1))
        {
            // At the very ends of the calendar: DateTimeOffset.Parse says what is wrong.
            return false;
        }

        value = new DateTimeOffset(local, s[at] == '-' ? -offset : offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        foreach (var c in s.Slice(start, count))
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
