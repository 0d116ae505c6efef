using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Threeport.Modules.Bench;

// In the model (and the migrations) always, so a database works with and without the bench enabled.
internal sealed class BenchObjectConfiguration : IEntityTypeConfiguration<BenchObject>
{
    public void Configure(EntityTypeBuilder<BenchObject> bench)
    {
        bench.HasIndex(b => b.Name).IsUnique();
        bench.Property(b => b.Generation).IsConcurrencyToken();
    }
}
