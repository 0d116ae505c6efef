using Microsoft.EntityFrameworkCore;
using Threeport.Modules.Platform.Events;
using Threeport.Modules.Platform.Leases;
using Threeport.Modules.Platform.Outbox;
using Threeport.Modules.Platform.Secrets;

namespace Threeport.Modules.Platform.Persistence;

// One database for every module; each module adds its tables with IEntityTypeConfiguration classes
// in its own folder, found here by assembly scan.
public sealed class ThreeportDb(DbContextOptions<ThreeportDb> options) : DbContext(options)
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();

    public DbSet<Lease> Leases => Set<Lease>();

    public DbSet<Event> Events => Set<Event>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.HasIndex(m => new { m.ObjectType, m.ObjectId }).IsUnique();
            outbox.HasIndex(m => new { m.ObjectType, m.AvailableAt });
        });
        modelBuilder.Entity<Lease>().HasKey(l => new { l.ObjectType, l.ObjectId });
        modelBuilder.Entity<Event>(events =>
        {
            events.Property(e => e.Generation).IsConcurrencyToken();
            events.HasIndex(e => new { e.ObjectType, e.ObjectID });
        });
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ThreeportDb).Assembly);
        SensitiveFields.Apply(modelBuilder, SensitiveFields.ProtectorOf(this));
    }
}
