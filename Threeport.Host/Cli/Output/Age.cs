using System.Globalization;

namespace Threeport.Host.Cli.Output;

// kubectl-style ages: 42s, 5m, 3h, 12d.
public static class Age
{
    public static string Since(DateTimeOffset? time, DateTimeOffset now)
    {
        if (time is null)
        {
            return "";
        }

        var age = now - time.Value;
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalSeconds < 120 ? Format(age.TotalSeconds, "s")
            : age.TotalMinutes < 120 ? Format(age.TotalMinutes, "m")
            : age.TotalHours < 48 ? Format(age.TotalHours, "h")
            : Format(age.TotalDays, "d");
    }

    private static string Format(double value, string unit) =>
        ((long)Math.Floor(value)).ToString(CultureInfo.InvariantCulture) + unit;
}
