namespace Threeport.Host.Cli.Output;

// Aligned columns like Go's text/tabwriter as Threeport's `tptctl get` uses it: each column as wide as its
// widest cell, three spaces between columns, no trailing spaces.
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public IReadOnlyList<string> Headers { get; } = headers;
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    public Table Add(params string?[] cells)
    {
        if (cells.Length != Headers.Count)
        {
            throw new ArgumentException($"expected {Headers.Count} cells, got {cells.Length}");
        }

        _rows.Add(cells.Select(c => string.IsNullOrEmpty(c) ? "<none>" : c.ReplaceLineEndings(" ")).ToArray());
        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var widths = Headers.Select((h, i) => _rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        WriteRow(writer, Headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private static void WriteRow(TextWriter writer, IReadOnlyList<string> cells, int[] widths)
    {
        var line = string.Concat(cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i] + 3)));
        writer.WriteLine(line.TrimEnd());
    }
}
