using System.Globalization;
using System.Linq.Expressions;
using Microsoft.AspNetCore.Http;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Modules.Platform.Api;

// Threeport's list query: exact-match AND filters on lower-case field names, `page` (from 1) and
// `size` (default 50, -1 for all).
internal sealed record ListQuery(int Page, int Size, IReadOnlyList<(ObjectField Field, object? Value)> Filters)
{
    public const int DefaultSize = 50;

    public static (ListQuery? Query, string? Error) Parse(ObjectType type, IQueryCollection query)
    {
        var page = 1;
        var size = DefaultSize;
        var filters = new List<(ObjectField, object?)>();
        foreach (var (key, values) in query)
        {
            if (values.Count > 1)
            {
                return (null, $"query parameter {key} is given {values.Count} times: give it once (filters are exact matches)");
            }

            var text = values.ToString();
            switch (key.ToLowerInvariant())
            {
                case "page" when !int.TryParse(text, CultureInfo.InvariantCulture, out page) || page < 1:
                    return (null, $"query parameter page must be a whole number from 1, not '{text}'");
                case "size" when !int.TryParse(text, CultureInfo.InvariantCulture, out size) || size < -1 || size == 0:
                    return (null, $"query parameter size must be a whole number from 1, or -1 for all, not '{text}'");
                case "page" or "size":
                    continue;
            }

            if (!type.Schema.Fields.TryGetValue(key, out var field) || !field.Filterable)
            {
                var filterable = type.Schema.Fields.Values.Where(f => f.Filterable).Select(f => f.Name.ToLowerInvariant());
                return (null, $"cannot filter {type.Name} by '{key}'; filter by one of: {string.Join(", ", filterable)}, or use page and size");
            }

            if (!TryParseValue(field, text, out var value))
            {
                return (null, $"query parameter {key} must be {field.TypeDescription}, not '{text}'");
            }

            filters.Add((field, value));
        }

        return (new ListQuery(page, size, filters), null);
    }

    public IQueryable<T> Apply<T>(IQueryable<T> source)
    {
        foreach (var (field, value) in Filters)
        {
            var parameter = Expression.Parameter(typeof(T), "o");
            // A captured value, not a constant: EF sends it as a SQL parameter instead of inlining a literal (a NUL
            // character inlined into SQLite's SQL text cut the statement short and answered 500).
            var captured = Expression.Convert(Expression.Property(Expression.Constant(new FilterValue(value)), nameof(FilterValue.Value)), field.Type);
            var equals = Expression.Equal(Expression.Property(parameter, field.Property), captured);
            source = source.Where(Expression.Lambda<Func<T, bool>>(equals, parameter));
        }

        return source;
    }

    private static bool TryParseValue(ObjectField field, string text, out object? value)
    {
        var type = Nullable.GetUnderlyingType(field.Type) ?? field.Type;
        value = null;
        if (type == typeof(string))
        {
            value = text;
            return true;
        }

        if (type == typeof(bool) && bool.TryParse(text, out var flag))
        {
            value = flag;
            return true;
        }

        if (type == typeof(long) && long.TryParse(text, CultureInfo.InvariantCulture, out var number))
        {
            value = number;
            return true;
        }

        if (type == typeof(int) && int.TryParse(text, CultureInfo.InvariantCulture, out var small))
        {
            value = small;
            return true;
        }

        if (type.IsEnum && Enum.TryParse(type, text, ignoreCase: true, out var member) && Enum.IsDefined(type, member))
        {
            value = member;
            return true;
        }

        return false;
    }
}

internal sealed record FilterValue(object? Value);
