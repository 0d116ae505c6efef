namespace Threeport.Host.Bench;

// One measured figure and the baseline measured beside it in the same run. Ratio = Value / Baseline.
public sealed record BenchRow(string Section, string Metric, double Value, string Unit, string BaselineName, double Baseline, string Goal)
{
    public double Ratio => Baseline == 0 ? double.NaN : Value / Baseline;
}
