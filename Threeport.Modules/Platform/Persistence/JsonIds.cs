using System.Globalization;

namespace Threeport.Modules.Platform.Persistence;

// A set of rows named in one parameter, for statements that read it with json_each: one prepared statement for a
// batch, instead of one per row, whatever the batch's size.
internal static class JsonIds
{
    public static string Of(IEnumerable<long> ids) => $"[{string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))}]";

    // Rows of several values each, as an array of arrays: [[id, sequence], ...].
    public static string Of(IEnumerable<long[]> rows) => $"[{string.Join(',', rows.Select(Of))}]";
}
