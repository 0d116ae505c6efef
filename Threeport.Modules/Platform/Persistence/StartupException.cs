namespace Threeport.Modules.Platform.Persistence;

// A reason the control plane cannot start that a person can fix; shown as one line, without a stack trace.
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
