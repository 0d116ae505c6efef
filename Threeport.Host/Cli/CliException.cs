namespace Threeport.Host.Cli;

// A failure the user can act on: printed as one `Error: ...` line, never with a stack trace.
public class CliException(string message, int exitCode = ExitCodes.Error, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

// A config file (CLI config or object config) that is missing or invalid; the message names file and line.
public sealed class ConfigFileException(string file, int? line, string message, Exception? inner = null)
    : CliException(line is null ? $"{file}: {message}" : $"{file}:{line}: {message}", ExitCodes.InvalidConfig, inner)
{
    public string File { get; } = file;
    public int? Line { get; } = line;
}
