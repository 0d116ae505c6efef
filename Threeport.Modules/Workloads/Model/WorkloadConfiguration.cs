using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Threeport.Modules.Workloads.Model;

internal sealed class WorkloadDefinitionConfiguration : IEntityTypeConfiguration<WorkloadDefinition>
{
    public void Configure(EntityTypeBuilder<WorkloadDefinition> definition)
    {
        definition.HasIndex(d => d.Name).IsUnique();
        definition.Property(d => d.Generation).IsConcurrencyToken();
    }
}

internal sealed class WorkloadResourceDefinitionConfiguration : IEntityTypeConfiguration<WorkloadResourceDefinition>
{
    public void Configure(EntityTypeBuilder<WorkloadResourceDefinition> resource)
    {
        resource.HasOne<WorkloadDefinition>().WithMany().HasForeignKey(r => r.WorkloadDefinitionID).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WorkloadInstanceConfiguration : IEntityTypeConfiguration<WorkloadInstance>
{
    public void Configure(EntityTypeBuilder<WorkloadInstance> instance)
    {
        instance.HasIndex(i => i.Name).IsUnique();
        instance.HasIndex(i => i.KubernetesRuntimeInstanceID);
        instance.Property(i => i.Generation).IsConcurrencyToken();
        instance.HasOne<WorkloadDefinition>().WithMany().HasForeignKey(i => i.WorkloadDefinitionID).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class WorkloadResourceInstanceConfiguration : IEntityTypeConfiguration<WorkloadResourceInstance>
{
    public void Configure(EntityTypeBuilder<WorkloadResourceInstance> resource)
    {
        resource.HasOne<WorkloadInstance>().WithMany().HasForeignKey(r => r.WorkloadInstanceID).OnDelete(DeleteBehavior.Cascade);
        resource.HasIndex(r => new { r.Kind, r.ResourceNamespace, r.ResourceName });
    }
}

internal sealed class WorkloadEventConfiguration : IEntityTypeConfiguration<WorkloadEvent>
{
    public void Configure(EntityTypeBuilder<WorkloadEvent> workloadEvent)
    {
        workloadEvent.HasOne<WorkloadInstance>().WithMany().HasForeignKey(e => e.WorkloadInstanceID).OnDelete(DeleteBehavior.Cascade);
        workloadEvent.HasIndex(e => new { e.WorkloadInstanceID, e.RuntimeEventUID }).IsUnique();
    }
}
