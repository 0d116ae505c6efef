using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Threeport.Modules.Platform.Persistence;

// Lets `dotnet ef migrations add` build the model without starting the host.
public sealed class ThreeportDbDesignTimeFactory : IDesignTimeDbContextFactory<ThreeportDb>
{
    public ThreeportDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ThreeportDb>().UseSqlite("Data Source=design-time.db").Options);
}
