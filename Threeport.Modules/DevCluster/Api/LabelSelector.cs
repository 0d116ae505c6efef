using System.Text.Json;
using System.Text.Json.Nodes;

namespace Threeport.Modules.DevCluster.Api;

// The string form of label selectors: =, ==, !=, in, notin, exists (key), does not exist (!key).
internal sealed class LabelSelector
{
    private readonly List<Requirement> requirements;

    // Per requirement that a label must be present for, the stored JSON forms a match must contain: "key":"value" for
    // each value it accepts, or "key": alone for exists. Made on first use.
    private byte[][][]? needles;

    private LabelSelector(List<Requirement> requirements) => this.requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var result = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            result.Add(ParseRequirement(part.Trim()));
        }

        return new LabelSelector(result);
    }

    // matchLabels/matchExpressions of a workload's spec.selector.
    public static LabelSelector FromObject(JsonNode? selector)
    {
        var result = new List<Requirement>();
        if (selector?["matchLabels"] is JsonObject ml)
        {
            foreach (var (k, v) in ml)
            {
                result.Add(new Requirement(k, Op.Equals, [ObjectJson.Str(v) ?? ""]));
            }
        }

        if (selector?["matchExpressions"] is JsonArray exprs)
        {
            foreach (var e in exprs)
            {
                var key = ObjectJson.Str(e?["key"]) ?? "";
                var values = (e?["values"] as JsonArray)?.Select(v => ObjectJson.Str(v) ?? "").ToArray() ?? [];
                var op = ObjectJson.Str(e?["operator"]) switch
                {
                    "In" => Op.In,
                    "NotIn" => Op.NotIn,
                    "Exists" => Op.Exists,
                    _ => Op.NotExists,
                };
                result.Add(new Requirement(key, op, values));
            }
        }

        return new LabelSelector(result);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Op switch
            {
                Op.Equals => has && value == r.Values[0],
                Op.NotEquals => !has || value != r.Values[0],
                Op.In => has && r.Values.Contains(value),
                Op.NotIn => !has || !r.Values.Contains(value),
                Op.Exists => has,
                _ => !has,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // True when an object stored as `json` (written with ObjectJson.Options) cannot match, found without parsing it:
    // a watch with a selector sees every change of its resource, most of them about objects it does not select.
    // False says nothing: the object's labels decide.
    public bool RulesOut(ReadOnlySpan<byte> json)
    {
        needles ??= requirements.Where(r => r.Op is Op.Equals or Op.In or Op.Exists).Select(Needles).ToArray();
        foreach (var forms in needles)
        {
            var found = false;
            foreach (var form in forms)
            {
                if (json.IndexOf(form) >= 0)
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return true;
            }
        }

        return false;

        static byte[][] Needles(Requirement r)
        {
            var key = JsonSerializer.SerializeToUtf8Bytes(r.Key, ObjectJson.Options);
            return r.Op == Op.Exists
                ? [[.. key, (byte)':']]
                : r.Values.Select(v => (byte[])[.. key, (byte)':', .. JsonSerializer.SerializeToUtf8Bytes(v, ObjectJson.Options)]).ToArray();
        }
    }

    public override string ToString() => string.Join(",", requirements.Select(r => r.Op switch
    {
        Op.Equals => $"{r.Key}={r.Values[0]}",
        Op.NotEquals => $"{r.Key}!={r.Values[0]}",
        Op.In => $"{r.Key} in ({string.Join(",", r.Values)})",
        Op.NotIn => $"{r.Key} notin ({string.Join(",", r.Values)})",
        Op.Exists => r.Key,
        _ => "!" + r.Key,
    }));

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseRequirement(string s)
    {
        if (s.Length == 0)
        {
            throw Invalid(s);
        }

        if (s.StartsWith('!'))
        {
            return new Requirement(CheckKey(s[1..].Trim(), s), Op.NotExists, []);
        }

        var notIn = s.IndexOf(" notin ", StringComparison.Ordinal);
        if (notIn > 0)
        {
            return new Requirement(CheckKey(s[..notIn].Trim(), s), Op.NotIn, ParseSet(s[(notIn + 7)..], s));
        }

        var inAt = s.IndexOf(" in ", StringComparison.Ordinal);
        if (inAt > 0)
        {
            return new Requirement(CheckKey(s[..inAt].Trim(), s), Op.In, ParseSet(s[(inAt + 4)..], s));
        }

        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var at = s.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                return new Requirement(CheckKey(s[..at].Trim(), s), op, [s[(at + token.Length)..].Trim()]);
            }
        }

        return new Requirement(CheckKey(s, s), Op.Exists, []);
    }

    private static string[] ParseSet(string rest, string whole)
    {
        rest = rest.Trim();
        if (!rest.StartsWith('(') || !rest.EndsWith(')'))
        {
            throw Invalid(whole);
        }

        return rest[1..^1].Split(',').Select(v => v.Trim()).ToArray();
    }

    private static string CheckKey(string key, string whole) =>
        key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '!' or '=') ? throw Invalid(whole) : key;

    private static ApiException Invalid(string s) => ApiException.BadRequest($"unable to parse requirement: found '{s}', expected: identifier");

    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        NotExists,
    }

    private sealed record Requirement(string Key, Op Op, string[] Values);
}
