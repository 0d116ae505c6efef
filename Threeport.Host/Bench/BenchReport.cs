using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Reflection.PortableExecutable;
using System.Text.Json;

namespace Threeport.Host.Bench;

// The result of a run: the rows, printed as a table or as JSON.
public sealed class BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public List<BenchRow> Rows { get; } = [];

    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {Build()}";

    public TimeSpan Elapsed { get; set; }

    // The figures depend on how the binary was built (a Debug build, or a fresh process JIT-compiling what a
    // ReadyToRun image already holds, is slower), so the report says which build ran.
    private static string Build()
    {
        var assembly = typeof(BenchReport).Assembly;
        var optimized = assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
        if (assembly.Location.Length == 0)
        {
            return (optimized ? "Release" : "Debug") + " single-file build";
        }

        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var readyToRun = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
        return (optimized ? "Release" : "Debug") + (readyToRun ? " ReadyToRun" : " JIT-only") + " build";
    }

    public void Add(string section, string metric, double value, string unit, string baselineName, double baseline, string goal) =>
        Rows.Add(new BenchRow(section, metric, value, unit, baselineName, baseline, goal));

    public string ToJson() => JsonSerializer.Serialize(
        new
        {
            Machine,
            ElapsedSeconds = Math.Round(Elapsed.TotalSeconds, 1),
            Rows = Rows.Select(r => new { r.Section, r.Metric, r.Value, r.Unit, r.BaselineName, r.Baseline, Ratio = double.IsNaN(r.Ratio) ? (double?)null : r.Ratio, r.Goal }),
        },
        JsonOptions);

    public string ToTable()
    {
        var header = new[] { "#", "Metric", "Measured", "Baseline (same run)", "Ratio", "Goal" };
        var lines = Rows.Select(r => new[]
        {
            r.Section,
            r.Metric,
            Format(r.Value, r.Unit),
            $"{r.BaselineName} {Format(r.Baseline, r.Unit)}",
            double.IsNaN(r.Ratio) ? "-" : r.Ratio.ToString(r.Ratio >= 100 ? "0" : r.Ratio >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + "x",
            r.Goal,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, lines.Count == 0 ? 0 : lines.Max(l => l[i].Length))).ToArray();
        var text = new System.Text.StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        lines.ForEach(Line);
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}; run took {Elapsed.TotalSeconds:0} s. Ratio = measured / baseline.");
        return text.ToString();
    }

    private static string Format(double value, string unit) =>
        double.IsNaN(value) ? "n/a" : value switch
        {
            >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
            >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
            >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
            >= 0.1 or 0 => value.ToString("0.000", CultureInfo.InvariantCulture),
            _ => value.ToString("0.00000", CultureInfo.InvariantCulture),
        } + " " + unit;
}
