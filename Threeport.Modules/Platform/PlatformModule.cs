using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Threeport.Modules.Platform.Api;
using Threeport.Modules.Platform.Events;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Persistence;
using Threeport.Modules.Platform.Reconciliation;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Modules.Platform;

public static class PlatformModule
{
    public static string Version { get; } =
        typeof(PlatformModule).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    // `configureDatabase` lets tests add to the EF model (a test-only object type).
    public static IServiceCollection AddPlatform(this IServiceCollection services, IConfiguration configuration, Action<DbContextOptionsBuilder>? configureDatabase = null)
    {
        services.Configure<PlatformSettings>(configuration.GetSection(PlatformSettings.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.Configure<DatabaseSettings>(configuration.GetSection(DatabaseSettings.Section));
        services.AddSingleton<DataDirectory>();
        services.AddSingleton<EncryptionKey>();
        services.AddSingleton<FieldProtector>();
        services.AddTransient<IStartupFilter, ApiErrorStartupFilter>();
        SqliteLibrary.Configure();
        services.AddPooledDbContextFactory<ThreeportDb>((sp, options) =>
        {
            options.UseSqlite(sp.GetRequiredService<DataDirectory>().ConnectionString);
            options.AddInterceptors(
                new SqlitePragmas(sp.GetRequiredService<IOptions<DatabaseSettings>>().Value.BusyTimeout),
                new CommitWatch(sp.GetRequiredService<TableChanges>()));
            options.ReplaceService<IModelCacheKeyFactory, ThreeportModelCacheKeyFactory>();
            // The model is checked against the migrations by a test; at run time a test-only type is allowed.
            options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
            configureDatabase?.Invoke(options);
        });
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<ThreeportDb>>().CreateDbContext());
        services.AddScoped<OutcomeWrites>();

        services.AddSingleton<TableChanges>();
        services.AddSingleton<AnswerCache>();
        services.AddSingleton<SqliteWriteGate>();
        services.AddSingleton<LeaseStore>();
        // First hosted service: everything after it finds a migrated database.
        services.AddSingleton<DatabaseStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseStartup>());

        services.AddSingleton<ObjectTypeRegistry>();
        services.AddSingleton<ObjectReferences>();
        services.AddSingleton<NotificationChannels>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.AddSingleton<OutboxWriter>();
        services.AddSingleton<EventRecorder>();
        services.AddSingleton<ReconcileObserver>();

        services.AddObjectType<Event>("Platform");
        // Threeport's casing for every JSON answer, including /version, /readyz and the versions routes.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = null;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddOpenApi();
        return services;
    }

    public static IEndpointRouteBuilder MapPlatform(this IEndpointRouteBuilder app)
    {
        app.MapGet("/version", () => Results.Json(new { Version })).WithTags("Platform");
        app.MapGet("/healthz", () => Results.Text("ok")).WithTags("Platform");
        app.MapGet("/readyz", ReadyAsync).WithTags("Platform");
        app.MapGet("/metrics", MetricsAsync).WithTags("Platform");
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapObjectApi<Event>();
        return app;
    }

    // Adds the v0 routes of an object type declared with AddObjectType.
    public static RouteGroupBuilder MapObjectApi<TObject>(this IEndpointRouteBuilder app)
        where TObject : ThreeportObject, new() =>
        ObjectEndpoints<TObject>.Map(app, app.ServiceProvider.GetRequiredService<ObjectTypeRegistry>().Get<TObject>());

    // Ready once the database is migrated; lists each controller's reconcilers so a person can see what runs.
    private static IResult ReadyAsync(DatabaseStartup database, ObjectTypeRegistry registry, NotificationChannels channels, IOptions<PlatformSettings> settings)
    {
        var controllers = registry.All
            .Where(t => t.ReconcilerType is not null)
            .GroupBy(t => t.Controller)
            .ToDictionary(
                g => g.Key,
                g => new
                {
                    settings.Value.ControllerFor(g.Key).Enabled,
                    settings.Value.ControllerFor(g.Key).Workers,
                    Reconcilers = g.Select(t => t.Name + "Reconciler").ToArray(),
                });
        var ready = database.Ready.IsCompletedSuccessfully;
        return Results.Json(new { Ready = ready, Controllers = controllers }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    // Prometheus text format, written by hand: a handful of counters does not need an exporter package.
    private static async Task<IResult> MetricsAsync(ReconcileObserver observer, OutboxWriter outbox, AnswerCache answers, ObjectTypeRegistry registry, ThreeportDb db, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.AppendLine("# TYPE threeport_reconciles_total counter");
        foreach (var (type, outcome, failed, count) in observer.Counts.OrderBy(c => c.Type))
        {
            var controller = registry.All.FirstOrDefault(t => t.Name == type)?.Controller ?? "";
            text.AppendLine($"threeport_reconciles_total{{controller=\"{controller}\",type=\"{type}\",outcome=\"{outcome}\",failed=\"{(failed ? "true" : "false")}\"}} {count}");
        }

        // Outcomes per commit: above 1 when a backlog's reconcile outcomes commit together.
        text.AppendLine("# TYPE threeport_outcome_commits_total counter");
        text.AppendLine("# TYPE threeport_outcomes_committed_total counter");
        foreach (var (type, commits, outcomes) in observer.Commits.OrderBy(c => c.Type))
        {
            text.AppendLine($"threeport_outcome_commits_total{{type=\"{type}\"}} {commits}");
            text.AppendLine($"threeport_outcomes_committed_total{{type=\"{type}\"}} {outcomes}");
        }

        // Concurrent API saves that committed in groups, and the groups they took.
        var (groupCommits, groupedSaves) = outbox.Groups;
        text.AppendLine("# TYPE threeport_grouped_saves_total counter");
        text.AppendLine($"threeport_grouped_saves_total {groupedSaves}");
        text.AppendLine("# TYPE threeport_save_groups_total counter");
        text.AppendLine($"threeport_save_groups_total {groupCommits}");

        // GET and list answers reused unchanged, and those read from the database (see AnswerCache).
        var (hits, misses) = answers.Counts;
        text.AppendLine("# TYPE threeport_answers_reused_total counter");
        text.AppendLine($"threeport_answers_reused_total {hits}");
        text.AppendLine("# TYPE threeport_answers_read_total counter");
        text.AppendLine($"threeport_answers_read_total {misses}");

        text.AppendLine("# TYPE threeport_outbox_pending gauge");
        var pending = await db.OutboxMessages.GroupBy(m => m.ObjectType).Select(g => new { Type = g.Key, Count = g.Count() }).ToListAsync(ct);
        foreach (var row in pending)
        {
            text.AppendLine($"threeport_outbox_pending{{type=\"{row.Type}\"}} {row.Count}");
        }

        return Results.Text(text.ToString(), "text/plain; version=0.0.4");
    }
}
