using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform;
using Threeport.Modules.Platform.Objects;

namespace Threeport.Tests.Support;

// Plugs the test-only Widget type into a control plane being built: its services, its table, its model and its routes.
public static class WidgetType
{
    public static void AddTo(IServiceCollection services, WidgetBehavior? behavior = null)
    {
        services.AddSingleton(behavior ?? new WidgetBehavior());
        services.AddHostedService<WidgetTable>();
        services.AddObjectType<Widget>("Test").ReconciledBy<WidgetReconciler>();
    }

    public static void AddTo(DbContextOptionsBuilder database) => database.ReplaceService<IModelCustomizer, WidgetModelCustomizer>();

    public static void MapIn(WebApplication app) => app.MapObjectApi<Widget>();
}
