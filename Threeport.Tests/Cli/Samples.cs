namespace Threeport.Tests.Cli;

// Threeport's own sample configs live in shared/samples/threeport beside the repository (CI clones the
// repository with shared/ beside it); found by walking up from the test binaries.
public static class Samples
{
    public static string Directory { get; } = Find();

    public static string Path(string file) => System.IO.Path.Combine(Directory, file);

    public static IEnumerable<string> All() =>
        System.IO.Directory.GetFiles(Find(), "*.yaml").Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "samples", "threeport");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"shared/samples/threeport not found above {AppContext.BaseDirectory}");
    }
}
