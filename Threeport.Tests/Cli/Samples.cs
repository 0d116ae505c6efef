namespace Threeport.Tests.Cli;

// Threeport's own sample configs, unchanged: the repository's samples/threeport (shared/samples/threeport
// beside the repository as a fallback), found by walking up from the test binaries.
public static class Samples
{
    public static string Directory { get; } = Find();

    public static string Path(string file) => System.IO.Path.Combine(Directory, file);

    public static IEnumerable<string> All() =>
        System.IO.Directory.GetFiles(Find(), "*.yaml").Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string Find()
    {
        foreach (var relative in new[] { System.IO.Path.Combine("samples", "threeport"), System.IO.Path.Combine("shared", "samples", "threeport") })
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, relative);
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"samples/threeport not found above {AppContext.BaseDirectory}");
    }
}
