using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Threeport.Modules.KubernetesRuntimes.Model;

internal sealed class KubernetesRuntimeDefinitionConfiguration : IEntityTypeConfiguration<KubernetesRuntimeDefinition>
{
    public void Configure(EntityTypeBuilder<KubernetesRuntimeDefinition> definition)
    {
        definition.HasIndex(d => d.Name).IsUnique();
        definition.Property(d => d.Generation).IsConcurrencyToken();
    }
}

internal sealed class KubernetesRuntimeInstanceConfiguration : IEntityTypeConfiguration<KubernetesRuntimeInstance>
{
    public void Configure(EntityTypeBuilder<KubernetesRuntimeInstance> instance)
    {
        instance.HasIndex(i => i.Name).IsUnique();
        instance.Property(i => i.Generation).IsConcurrencyToken();
        instance.HasOne<KubernetesRuntimeDefinition>().WithMany().HasForeignKey(i => i.KubernetesRuntimeDefinitionID).OnDelete(DeleteBehavior.Restrict);
    }
}
