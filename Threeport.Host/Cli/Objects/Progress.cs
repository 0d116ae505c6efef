namespace Threeport.Host.Cli.Objects;

// `--wait` progress: on a terminal one line per object, redrawn in place; otherwise a plain line each time
// an object's state changes, which reads well in CI logs.
public sealed class Progress(TextWriter output, bool isTerminal)
{
    private readonly List<(string Name, string State)> _lines = [];
    private int _drawn;

    public void Report(string name, string state)
    {
        var index = _lines.FindIndex(l => l.Name == name);
        if (index >= 0 && _lines[index].State == state)
        {
            return;
        }

        if (index >= 0)
        {
            _lines[index] = (name, state);
        }
        else
        {
            _lines.Add((name, state));
        }

        if (!isTerminal)
        {
            output.WriteLine($"{name}: {state}");
            return;
        }

        // Move up over what we drew before, then redraw every line (ESC[2K clears the line).
        if (_drawn > 0)
        {
            output.Write($"\u001b[{_drawn}A");
        }

        foreach (var (n, s) in _lines)
        {
            output.Write($"\r\u001b[2K{n}: {s}\n");
        }

        _drawn = _lines.Count;
        output.Flush();
    }

    public void Complete() => _drawn = 0;
}
