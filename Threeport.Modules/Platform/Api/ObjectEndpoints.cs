using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Api;

// The v0 routes of one object type: list, get, create, PATCH, PUT and delete, with Threeport's envelope.
// Every write is validated before anything is stored, and stored in one transaction with its notification.
public static class ObjectEndpoints<TObject>
    where TObject : ThreeportObject, new()
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder routes, ObjectType type)
    {
        routes.MapGet($"/{type.RoutePlural}/versions", () => Results.Json(new { API = type.Name, Versions = new[] { "v0" } }))
            .WithTags(type.Name);
        var group = routes.MapGroup($"/v0/{type.RoutePlural}").WithTags(type.Name);
        group.MapGet("", ListAsync).WithName($"List{type.Name}s").Produces<ApiEnvelope>();
        group.MapGet("/{id}", GetAsync).WithName($"Get{type.Name}").Produces<ApiEnvelope>();
        group.MapPost("", CreateAsync).WithName($"Create{type.Name}").Produces<ApiEnvelope>(StatusCodes.Status201Created);
        group.MapPatch("/{id}", (string id, HttpRequest request, ThreeportDb db, IServiceProvider services, CancellationToken ct) =>
            UpdateAsync(id, request, db, services, replace: false, ct)).WithName($"Patch{type.Name}").Produces<ApiEnvelope>();
        group.MapPut("/{id}", (string id, HttpRequest request, ThreeportDb db, IServiceProvider services, CancellationToken ct) =>
            UpdateAsync(id, request, db, services, replace: true, ct)).WithName($"Put{type.Name}").Produces<ApiEnvelope>();
        group.MapDelete("/{id}", DeleteAsync).WithName($"Delete{type.Name}").Produces<ApiEnvelope>();
        return group;
    }

    private static ObjectType TypeOf(IServiceProvider services) => services.GetRequiredService<ObjectTypeRegistry>().Get<TObject>();

    private static async Task<IResult> ListAsync(HttpRequest request, ThreeportDb db, IServiceProvider services, CancellationToken ct)
    {
        var type = TypeOf(services);
        var answers = services.GetRequiredService<AnswerCache>();
        var key = new AnswerKey(type.Name, 0, request.QueryString.Value ?? "");
        var stamp = answers.StampOf(TableOf(db));
        if (answers.TryGet(key, stamp, out var answered))
        {
            return ApiResults.Serialized(answered);
        }

        var (query, error) = ListQuery.Parse(type, request.Query);
        if (query is null)
        {
            return ApiResults.BadRequest(type.Name, error!);
        }

        var filtered = query.Apply(db.Set<TObject>().AsNoTracking());
        var page = filtered.OrderBy(o => o.ID).AsQueryable();
        if (query.Size > 0)
        {
            page = page.Skip((query.Page - 1) * query.Size).Take(query.Size);
        }

        var items = await page.ToListAsync(ct);
        // A first page that is not full holds every match: no COUNT(*), which grows with the table.
        var total = query.Page == 1 && (query.Size == 0 || items.Count < query.Size) ? items.Count : await filtered.LongCountAsync(ct);
        Redact(type, items);
        var body = ApiResults.OkBody(type.Name, items, query.Page, query.Size, total);
        answers.Put(key, stamp, body);
        return ApiResults.Serialized(body);
    }

    private static async Task<IResult> GetAsync(string id, ThreeportDb db, IServiceProvider services, CancellationToken ct)
    {
        var type = TypeOf(services);
        if (!TryParseId(id, out var objectId))
        {
            return BadId(type, id);
        }

        // An answer with a secret's plaintext is not kept beyond its request.
        var answers = services.GetRequiredService<AnswerCache>();
        var key = new AnswerKey(type.Name, objectId, null);
        var stamp = type.Schema.Sensitive.Count == 0 ? answers.StampOf(TableOf(db)) : null;
        if (answers.TryGet(key, stamp, out var answered))
        {
            return ApiResults.Serialized(answered);
        }

        var obj = await ObjectById<TObject>.ReadAsync(db, objectId, ct);
        if (obj is null)
        {
            return ApiResults.NotFound(type.Name, objectId);
        }

        var body = ApiResults.OkBody(type.Name, [obj], 1, 1, 1);
        answers.Put(key, stamp, body);
        return ApiResults.Serialized(body);
    }

    // The table an object type is stored in: what its answers are read from (one table: no navigations are loaded).
    private static string TableOf(ThreeportDb db) =>
        table ??= db.Model.FindEntityType(typeof(TObject))?.GetTableName() ?? typeof(TObject).Name;

    private static string? table;

    private static async Task<IResult> CreateAsync(HttpRequest request, ThreeportDb db, IServiceProvider services, TimeProvider time, CancellationToken ct)
    {
        var type = TypeOf(services);
        var (body, error) = await RequestBody.ReadObjectAsync(request, ct);
        if (body is null)
        {
            return ApiResults.BadRequest(type.Name, error!);
        }

        var obj = new TObject();
        var problems = ObjectBinder.Apply(type, body, obj);
        if (problems.Count == 0)
        {
            problems.AddRange(ObjectBinder.CheckRequired(type, obj));
        }

        if (problems.Count == 0)
        {
            problems.AddRange(await ValidateAsync(type, obj, existing: null, db, services, ct));
        }

        if (problems.Count > 0)
        {
            return ApiResults.BadRequest(type.Name, string.Join("; ", problems));
        }

        var now = time.GetUtcNow();
        obj.CreatedAt = now;
        obj.UpdatedAt = now;
        obj.Generation = 1;
        db.Add(obj);
        return await SaveAsync(type, obj, Operation.Created, db, services, StatusCodes.Status201Created, ct);
    }

    // A PATCH or PUT carries no version: a concurrent write makes it re-read and re-apply, as Kubernetes
    // does for patches, instead of answering 409 to a request that did nothing wrong. The first attempt
    // validates without holding the write gate (validation may parse megabytes of YAML); a retry holds it
    // from read to commit, so within this process it cannot lose the race again.
    private const int UpdateAttempts = 5;

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, ThreeportDb db, IServiceProvider services, bool replace, CancellationToken ct)
    {
        var type = TypeOf(services);
        if (!TryParseId(id, out var objectId))
        {
            return BadId(type, id);
        }

        var (body, error) = await RequestBody.ReadObjectAsync(request, ct);
        if (body is null)
        {
            return ApiResults.BadRequest(type.Name, error!);
        }

        var writes = services.GetRequiredService<SqliteWriteGate>();
        for (var attempt = 1; ; attempt++)
        {
            IResult? result;
            using (attempt == 1 ? default : await writes.EnterAsync(db, ct))
            {
                result = await TryUpdateAsync(type, objectId, body, db, services, replace, ct);
            }

            if (result is not null || attempt == UpdateAttempts)
            {
                return result ?? ApiResults.Conflict(type.Name, $"{type.Name} {objectId} is changing too often to update: retry");
            }

            db.ChangeTracker.Clear();
        }
    }

    // Null when a concurrent write got in first.
    private static async Task<IResult?> TryUpdateAsync(ObjectType type, long objectId, JsonObject body, ThreeportDb db, IServiceProvider services, bool replace, CancellationToken ct)
    {
        var existing = await db.Set<TObject>().AsNoTracking().FirstOrDefaultAsync(o => o.ID == objectId, ct);
        var obj = await db.Set<TObject>().FirstOrDefaultAsync(o => o.ID == objectId, ct);
        if (existing is null || obj is null)
        {
            return ApiResults.NotFound(type.Name, objectId);
        }

        if (obj is ReconciledObject { DeletionScheduled: not null })
        {
            return ApiResults.Conflict(type.Name, $"{type.Name} {objectId} is being deleted and can no longer be changed");
        }

        if (replace)
        {
            var blank = new TObject();
            foreach (var field in type.Schema.Writable)
            {
                field.Property.SetValue(obj, field.Property.GetValue(blank));
            }
        }

        var problems = ObjectBinder.Apply(type, body, obj);
        if (problems.Count == 0)
        {
            problems.AddRange(ObjectBinder.CheckRequired(type, obj));
        }

        if (problems.Count == 0)
        {
            problems.AddRange(await ValidateAsync(type, obj, existing, db, services, ct));
        }

        if (problems.Count > 0)
        {
            return ApiResults.BadRequest(type.Name, string.Join("; ", problems));
        }

        obj.UpdatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow();
        obj.Generation++;
        if (obj is ReconciledObject reconciled && !body.Any(p => p.Key.Equals(nameof(ReconciledObject.Reconciled), StringComparison.OrdinalIgnoreCase)))
        {
            // A user change is a new intent: it must be reconciled again.
            reconciled.Reconciled = false;
        }

        try
        {
            return await SaveAsync(type, obj, Operation.Updated, db, services, StatusCodes.Status200OK, ct, throwOnConcurrency: true);
        }
        catch (DbUpdateConcurrencyException)
        {
            return null;
        }
    }

    private static async Task<IResult> DeleteAsync(string id, ThreeportDb db, IServiceProvider services, TimeProvider time, SqliteWriteGate writes, CancellationToken ct)
    {
        var type = TypeOf(services);
        if (!TryParseId(id, out var objectId))
        {
            return BadId(type, id);
        }

        // From read to commit: the guards' answer and the stored row must still hold when the delete commits.
        using var write = await writes.EnterAsync(db, ct);
        var obj = await db.Set<TObject>().FirstOrDefaultAsync(o => o.ID == objectId, ct);
        if (obj is null)
        {
            return ApiResults.NotFound(type.Name, objectId);
        }

        foreach (var guard in type.DeleteGuards)
        {
            if (await guard(db, objectId, ct) is { } reason)
            {
                return ApiResults.Conflict(type.Name, reason);
            }
        }

        if (obj is not ReconciledObject reconciled)
        {
            db.Remove(obj);
            return await SaveAsync(type, obj, Operation.Deleted, db, services, StatusCodes.Status200OK, ct);
        }

        if (reconciled.DeletionScheduled is not null)
        {
            return ApiResults.Conflict(type.Name, $"{type.Name} {objectId} is already being deleted");
        }

        // Two-phase delete: the reconciler tears down, then removes the row.
        reconciled.DeletionScheduled = time.GetUtcNow();
        reconciled.Reconciled = false;
        reconciled.Generation++;
        return await SaveAsync(type, obj, Operation.Deleted, db, services, StatusCodes.Status200OK, ct);
    }

    private static async Task<IResult> SaveAsync(ObjectType type, TObject obj, Operation operation, ThreeportDb db, IServiceProvider services, int status, CancellationToken ct, bool throwOnConcurrency = false)
    {
        try
        {
            if (obj is ReconciledObject { Reconciled: false } reconciled && type.ReconcilerType is not null)
            {
                await services.GetRequiredService<OutboxWriter>().SaveAsync(db, type, reconciled, operation, ct);
            }
            else
            {
                await services.GetRequiredService<SqliteWriteGate>().SaveChangesAsync(db, ct);
            }
        }
        catch (DbUpdateConcurrencyException) when (!throwOnConcurrency)
        {
            return ApiResults.Conflict(type.Name, $"{type.Name} {obj.ID} was changed by someone else meanwhile: read it again and retry");
        }
        catch (DbUpdateException ex) when (ex.InnerException is SqliteException { SqliteErrorCode: 19 } constraint)
        {
            return ConstraintViolation(type, obj, constraint);
        }

        return ApiResults.One(type.Name, obj, status);
    }

    private static IResult ConstraintViolation(ObjectType type, TObject obj, SqliteException constraint) =>
        constraint.SqliteExtendedErrorCode switch
        {
            2067 or 1555 when type.Schema.Fields.TryGetValue("Name", out var name) =>
                ApiResults.Conflict(type.Name, $"a {type.Name} named '{name.Property.GetValue(obj)}' already exists: choose another name"),
            787 => ApiResults.Conflict(type.Name, $"{type.Name} refers to an object that does not exist, or is still referred to by other objects"),
            _ => ApiResults.Conflict(type.Name, $"{type.Name} conflicts with stored data: {constraint.Message}"),
        };

    private static async Task<IReadOnlyList<string>> ValidateAsync(ObjectType type, TObject candidate, TObject? existing, ThreeportDb db, IServiceProvider services, CancellationToken ct)
    {
        var problems = new List<string>();
        foreach (var validatorType in type.ValidatorTypes)
        {
            var validator = (IObjectValidator<TObject>)services.GetRequiredService(validatorType);
            try
            {
                problems.AddRange(await validator.ValidateAsync(candidate, existing, db, ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException && StorageFaults.Describe(ex, services.GetRequiredService<DataDirectory>()) is null)
            {
                // A validator that throws met input it did not expect: the request is still refused as bad input (400,
                // nothing written), and the validator's bug is logged under an id so it can be fixed.
                var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
                services.GetRequiredService<ILoggerFactory>().CreateLogger(validatorType).LogWarning(ex, "Failed to validate {Type} with {Validator}, refused as bad input {ErrorId}", type.Name, validatorType.Name, id);
                problems.Add($"{type.Name} could not be validated ({id}): check the fields for values of an unexpected shape");
            }
        }

        return problems;
    }

    // Lists never carry sensitive values (GET by ID does, for the one object asked for): see docs/reliability.md.
    private static void Redact(ObjectType type, List<TObject> items)
    {
        foreach (var field in type.Schema.Sensitive)
        {
            foreach (var item in items.Where(i => field.Property.GetValue(i) is not null))
            {
                field.Property.SetValue(item, SensitiveAttribute.Redacted);
            }
        }
    }

    private static bool TryParseId(string text, out long id) => long.TryParse(text, out id) && id > 0;

    private static IResult BadId(ObjectType type, string id) =>
        ApiResults.BadRequest(type.Name, $"'{(id.Length > 40 ? id[..40] + "..." : id)}' is not an object ID: IDs are positive whole numbers");
}
