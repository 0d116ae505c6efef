using System.Text;
using System.Text.Json;
using CsCheck;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Tests.Hardening;

// Generators of bad (and now and then good) input for every v0 route: path ids, query strings, bodies, content
// types and headers. Bodies are built from each type's schema, so new object types are covered without edits.
public static class FuzzGenerators
{
    public sealed record Route(string Method, string Pattern, ObjectType? Type);

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "FUZZ"];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data", "application/yaml", "garbage", ";;;=", "*/*",
        "application/json; boundary=\"", "",
    ];

    // YAML a user might paste: broken syntax, wrong shapes, aliases, many documents, odd directives.
    private static readonly string[] YamlDocuments =
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fuzz\ndata:\n  a: b\n",
        "kind: [", "\t- a", "a: b: c", "---\n---\n", "{{{{", "- - - -", "key: \"unterminated", "%YAML 9.9\n---\na: 1",
        "!!binary xyz", "apiVersion: v1\nkind: Pod\n", "apiVersion: v1\nmetadata:\n  name: x\n", "kind: Deployment\nmetadata: 5\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: UPPER_case\nspec: []\n",
        "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", "? [a, b]\n: c\n", "null", "~", "[]", "123",
        string.Concat(Enumerable.Repeat("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\n", 200)),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\\u0000\"\n", "\uFEFFapiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        "apiVersion: v1\nkind: Config\ncurrent-context: missing\n",
        SelfReferentialYaml, AliasBomb,
    ];

    // A YAML alias that contains itself: once a stack overflow that ended the process (see YamlAliasCycleTests).
    public const string SelfReferentialYaml = "a: &a [*a]";

    // Aliases of aliases: ten levels of nine make 9^10 nodes once expanded.
    public static string AliasBomb => "l0: &l0 [x,x,x,x,x,x,x,x,x]\n" + string.Concat(Enumerable.Range(1, 9).Select(i => $"l{i}: &l{i} [{string.Join(",", Enumerable.Repeat($"*l{i - 1}", 9))}]\n"));

    private static readonly string[] OddStrings =
    [
        "", " ", "a", "-a", "a-", "Ab", "x_y", "ünïcödé", "名前", "😀", "\u0000", "a\u0000b", "\uFEFF", "\u202E", "<redacted>",
        "2024-01-01T00:00:00Z", "true", "null", "1", "../../etc/passwd", "' OR 1=1 --", "%s%s%n", "\\", "\"", "{}",
    ];

    private static readonly string[] OddIds =
    [
        "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "abc", "9223372036854775807", "9223372036854775808",
        "99999999999999999999999", "-9223372036854775808", "１", "%00", "%2F", "..", "ünï", "😀", "null", "{id}",
    ];

    private static readonly string[] RawBodies =
    [
        "", " ", "{", "}", "[]", "[{}]", "null", "true", "0", "\"text\"", "{\"Name\":", "{\"Name\" \"a\"}", "{'Name':'a'}",
        "{\"Name\":\"a\",}", "{Name:\"a\"}", "\uFEFF{\"Name\":\"bom\"}", "{\"Name\":\"a\"}{\"Name\":\"b\"}", "{\"Name\":NaN}",
        "{\"Name\":\"\\ud800\"}", "{\"\":1}", "<xml/>", "Name=a&Color=b", "\u0000\u0001\u0002",
    ];

    public static Gen<string> DnsName { get; } =
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 20].Select(c => "f" + new string(c));

    public static Gen<string> Strings { get; } = Gen.Frequency(
        (4, Gen.OneOf(OddStrings)),
        (3, DnsName),
        (3, Gen.String),
        (2, Gen.Char.Array[0, 200].Select(c => new string(c))),
        (2, Gen.OneOf(YamlDocuments)),
        (1, Gen.Int[1_000, 200_000].Select(n => new string('n', n))));

    public static Gen<string> Numbers { get; } = Gen.Frequency(
        (3, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.Int[-3, 5].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.OneOf("1e400", "-0", "1.5", "18446744073709551616", "1E2", "0.0000001", "-9223372036854775809", "2147483648")),
        (1, Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "1")));

    public static Gen<string> Scalars { get; } = Gen.Frequency(
        (1, Gen.OneOf("null", "true", "false")),
        (3, Numbers),
        (5, Strings.Select(Quote)));

    public static Gen<string> DeepNesting { get; } = Gen.Select(Gen.Int[1, 300], Gen.Bool).Select(t => t.Item2
        ? new string('[', t.Item1) + "1" + new string(']', t.Item1)
        : string.Concat(Enumerable.Repeat("{\"a\":", t.Item1)) + "1" + new string('}', t.Item1));

    // Any JSON value, nested a little; deep nesting comes from DeepNesting.
    public static Gen<string> Values { get; } = Gen.Recursive<string>((depth, self) => depth >= 3
        ? Scalars
        : Gen.Frequency(
            (6, Scalars),
            (1, self.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Gen.Select(Strings, self).Array[0, 4].Select(Render)),
            (1, DeepNesting)));

    public static Gen<FuzzRequest> Requests(IReadOnlyList<Route> routes, IReadOnlyList<long> knownIds, IReadOnlyList<ObjectType> types)
    {
        var ids = Gen.Frequency(
            (4, Gen.OneOf(knownIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())),
            (3, Gen.OneOf(OddIds)),
            (1, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            (1, Gen.String[0, 50]),
            (1, Gen.Int[200, 3_000].Select(n => new string('7', n))));
        var header = Gen.Frequency(
            (6, Gen.Const((KeyValuePair<string, string>?)null)),
            (1, Gen.Select(Gen.OneOf("X-Fuzz", "Accept", "Accept-Charset", "If-Match", "Authorization", "Cookie", "Range", "Expect", "Transfer-Encoding-X"),
                    Gen.Char['!', '~'].Array[0, 500])
                .Select(t => (KeyValuePair<string, string>?)new KeyValuePair<string, string>(t.Item1, new string(t.Item2)))));
        var contentType = Gen.Frequency((5, Gen.Const<string?>("application/json")), (2, Gen.OneOf(ContentTypes).Select(c => (string?)c)), (1, Gen.Const((string?)null)));
        return
            from routeIndex in Gen.Int[0, routes.Count - 1]
            let route = routes[routeIndex]
            from method in Gen.Frequency((12, Gen.Const(route.Method)), (1, Gen.OneOf(Methods)))
            from id in ids
            from query in Query(route.Type)
            from body in Body(route.Type, knownIds, types)
            from type in contentType
            from extra in header
            select new FuzzRequest(
                method,
                route.Pattern,
                route.Pattern.Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal) + query,
                method is "GET" or "DELETE" or "OPTIONS" && body is not null && body.Length % 4 != 0 ? null : body,
                type,
                extra);
    }

    // Filters named after fields (and not), page and size, with odd values.
    private static Gen<string> Query(ObjectType? type)
    {
        var names = (type?.Schema.Fields.Keys.Select(k => k.ToLowerInvariant()) ?? []).Concat(["page", "size", "Page", "SIZE", "kubeconfig", "x", "", "a[b]", "名前"]).ToArray();
        var pair = Gen.Select(Gen.OneOf(names), Gen.Frequency((3, Gen.OneOf(OddStrings)), (2, Numbers), (1, Gen.String[0, 40]), (1, Gen.OneOf("-1", "0", "1", "true", "Created"))))
            .Select(t => Uri.EscapeDataString(t.Item1) + "=" + Uri.EscapeDataString(t.Item2));
        return Gen.Frequency(
            (3, Gen.Const("")),
            (3, pair.Array[1, 4].Select(p => "?" + string.Join("&", p))),
            (1, Gen.OneOf("?", "?&&", "?page", "?size=", "?=1", "?page=1&page=2", "?%zz=1", "?size=-1&page=99999999")));
    }

    // Mostly bodies that reach the validators (valid name, fields of the type with wrong or odd values), plus
    // raw text that is not JSON, duplicate keys, deep nesting and bodies over the size limit.
    private static Gen<string?> Body(ObjectType? type, IReadOnlyList<long> knownIds, IReadOnlyList<ObjectType> types)
    {
        var fieldNames = (type?.Schema.Fields.Values ?? types.SelectMany(t => t.Schema.Fields.Values))
            .Select(f => f.Name).Distinct().ToArray();
        var anyField = Gen.Frequency(
            (6, Gen.OneOf(fieldNames)),
            (1, Gen.OneOf(fieldNames).Select(n => n.ToLowerInvariant())),
            (1, Strings));
        var idValue = Gen.Frequency((3, Gen.OneOf(knownIds.ToArray()).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))), (1, Numbers), (1, Scalars));
        var plausible = type is null
            ? Gen.Const(new List<(string, string)>())
            : Gen.Select(
                    type.Schema.Writable.Where(f => f.Name != "Name").Select(f => f.Required ? Plausible(f, idValue).Select(p => new[] { p }) : Plausible(f, idValue).Array[0, 1])
                        .Aggregate(Gen.Const(() => new List<(string, string)>()), (acc, g) => Gen.Select(acc, g, (list, one) => list.Concat(one).ToList())),
                    DnsName)
                .Select(t => t.Item1.Prepend(("Name", Quote(t.Item2))).ToList());
        var extras = Gen.Frequency((1, Gen.Const(Array.Empty<(string, string)>())), (1, Gen.Select(anyField, Values).Array[1, 3]));
        var fuzzed = Gen.Select(plausible, extras)
            .Select(t => Render(t.Item1.Concat(t.Item2.Select(p => (p.Item1, p.Item2)))));
        return Gen.Frequency(
            (20, Gen.Const((string?)null)),
            (100, fuzzed.Select(b => (string?)b)),
            (30, Gen.Select(anyField, Values).Array[0, 6].Select(p => (string?)Render(p))),
            (20, Gen.OneOf(RawBodies).Select(b => (string?)b)),
            (10, Gen.String[0, 300].Select(b => (string?)b)),
            (10, DeepNesting.Select(b => (string?)b)),
            (10, Values.Select(b => (string?)b)),
            (10, Gen.Int[1, 60].Select(n => (string?)("{\"Name\":\"dup\",\"Name\":\"dup\"" + string.Concat(Enumerable.Range(0, n).Select(i => $",\"k{i % 3}\":1")) + "}"))),
            (1, Gen.Const<string?>(FuzzRequest.OversizedMarker)));
    }

    private static Gen<(string, string)> Plausible(ObjectField field, Gen<string> idValue)
    {
        var type = Nullable.GetUnderlyingType(field.Type) ?? field.Type;
        Gen<string> value = type == typeof(string)
            ? Gen.Frequency((3, Gen.OneOf(YamlDocuments).Select(Quote)), (3, Strings.Select(Quote)), (1, Values))
            : type == typeof(long) || type == typeof(int)
                ? field.Name.EndsWith("ID", StringComparison.Ordinal) ? idValue : Gen.Frequency((3, Numbers), (1, Values))
                : type == typeof(bool)
                    ? Gen.Frequency((3, Gen.OneOf("true", "false")), (1, Values))
                    : type.IsEnum
                        ? Gen.Frequency((3, Gen.OneOf(Enum.GetNames(type)).Select(Quote)), (1, Values))
                        : Values;
        return value.Select(v => (field.Name, v));
    }

    private static string Render(IEnumerable<(string Key, string Value)> pairs)
    {
        var text = new StringBuilder("{");
        foreach (var (key, value) in pairs)
        {
            if (text.Length > 1)
            {
                text.Append(',');
            }

            text.Append(Quote(key)).Append(':').Append(value);
        }

        return text.Append('}').ToString();
    }

    private static string Render((string, string)[] pairs) => Render(pairs.AsEnumerable());

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
