using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Threeport.Tests.Architecture;

// Modules talk through Platform services or the API, never through each other's internals.
public sealed partial class ModuleBoundaryTests
{
    private static readonly string ModulesRoot = Path.GetFullPath(Path.Combine(ThisDirectory(), "..", "..", "Threeport.Modules"));

    public static IEnumerable<string> Modules() =>
        Directory.GetDirectories(ModulesRoot).Select(Path.GetFileName).Where(m => m is not ("Platform" or "bin" or "obj" or "Properties")).Select(m => m!);

    [TestCaseSource(nameof(Modules))]
    public void Module_DoesNotReferenceAnotherModule_ExceptPlatform(string module)
    {
        var others = Modules().Where(m => m != module).ToList();
        var offending = Directory.GetFiles(Path.Combine(ModulesRoot, module), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select((line, n) => (file, line, n)))
            .Where(x => ModuleReference().Match(x.line) is { Success: true } m && others.Contains(m.Groups[1].Value))
            .Select(x => $"{Path.GetRelativePath(ModulesRoot, x.file)}:{x.n + 1}: {x.line.Trim()}")
            .ToList();
        offending.Should().BeEmpty();
    }

    // The migrations are generated from the whole model, so they name every module's tables: not a dependency.
    [Test]
    public void Platform_ReferencesNoModule() =>
        Directory.GetFiles(Path.Combine(ModulesRoot, "Platform"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(File.ReadLines)
            .Where(line => ModuleReference().Match(line) is { Success: true } m && m.Groups[1].Value != "Platform")
            .Should().BeEmpty();

    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    [GeneratedRegex(@"Threeport\.Modules\.(\w+)")]
    private static partial Regex ModuleReference();
}
