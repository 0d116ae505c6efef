using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Hosting;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Support;

// The Widget type is not in the product's migrations: the model gets it through a customizer, and its table
// is created right after the migrations ran (hosted services start in order).
public sealed class WidgetModelCustomizer(ModelCustomizerDependencies dependencies) : RelationalModelCustomizer(dependencies)
{
    public override void Customize(ModelBuilder modelBuilder, DbContext context)
    {
        base.Customize(modelBuilder, context);
        modelBuilder.Entity<Widget>(w =>
        {
            w.HasIndex(x => x.Name).IsUnique();
            w.Property(x => x.Generation).IsConcurrencyToken();
        });
    }
}

public sealed class WidgetTable(IDbContextFactory<ThreeportDb> dbFactory) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync(
            """
            CREATE TABLE IF NOT EXISTS Widget (
                ID INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
                Name TEXT NOT NULL, Color TEXT NULL, Size INTEGER NOT NULL, AppliedColor TEXT NULL,
                CreatedAt TEXT NULL, UpdatedAt TEXT NULL, Generation INTEGER NOT NULL,
                Reconciled INTEGER NOT NULL, CreationAcknowledged TEXT NULL, CreationConfirmed TEXT NULL,
                CreationFailed INTEGER NOT NULL, DeletionScheduled TEXT NULL, DeletionAcknowledged TEXT NULL,
                DeletionConfirmed TEXT NULL, InterruptReconciliation INTEGER NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS IX_Widget_Name ON Widget (Name);
            """,
            cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
