using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// Field selectors over dotted paths (metadata.name, metadata.namespace, status.phase, involvedObject.uid).
// The real apiserver allows only a per-kind list of fields; here any path works.
internal sealed class FieldSelector
{
    private readonly List<(string Path, bool Equal, string Value)> terms;

    private FieldSelector(List<(string, bool, string)> terms) => this.terms = terms;

    public bool IsEmpty => terms.Count == 0;

    public static FieldSelector Parse(string? text)
    {
        var terms = new List<(string, bool, string)>();
        if (!string.IsNullOrWhiteSpace(text))
        {
            foreach (var raw in text.Split(','))
            {
                var part = raw.Trim();
                var ne = part.IndexOf("!=", StringComparison.Ordinal);
                if (ne > 0)
                {
                    terms.Add((part[..ne], false, part[(ne + 2)..]));
                    continue;
                }

                var eq = part.IndexOf('=');
                if (eq <= 0)
                {
                    throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
                }

                var value = part[(eq + 1)..];
                terms.Add((part[..eq], true, value.StartsWith('=') ? value[1..] : value));
            }
        }

        return new FieldSelector(terms);
    }

    // The value a selector compares with, when the selector pins one (metadata.name=x); used by watches.
    public string? Pinned(string path) => terms.FirstOrDefault(t => t.Equal && t.Path == path).Value;

    public bool Matches(JsonObject obj)
    {
        foreach (var (path, equal, value) in terms)
        {
            var actual = ObjectJson.Str(ObjectJson.At(obj, path)) ?? "";
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }
}
