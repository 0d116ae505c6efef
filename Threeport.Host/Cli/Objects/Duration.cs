using System.Globalization;
using System.Text.RegularExpressions;

namespace Threeport.Host.Cli.Objects;

// Go-style durations for `--timeout` (5m, 90s, 1h30m), as Threeport's users type them.
public static partial class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var match = Pattern().Match(text.Trim());
        if (!match.Success || text.Trim().Length == 0)
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value > TimeSpan.Zero;
        }

        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            var number = double.Parse(part.Value[..^unit.Length], CultureInfo.InvariantCulture);
            value += unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromHours(number),
            };
        }

        return value > TimeSpan.Zero;
    }

    public static string Format(TimeSpan value) =>
        value.TotalHours >= 1 && value.Minutes == 0 && value.Seconds == 0 ? $"{(int)value.TotalHours}h"
        : value.TotalMinutes >= 1 && value.Seconds == 0 ? $"{(int)value.TotalMinutes}m"
        : $"{value.TotalSeconds:0.###}s".Replace(',', '.');

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?(ms|s|m|h))+$")]
    private static partial Regex Pattern();
}
