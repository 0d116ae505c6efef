using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Modules.Platform.Objects;

public sealed class ObjectTypeBuilder<TObject>(IServiceCollection services, ObjectType type)
    where TObject : ThreeportObject
{
    public ObjectType Type => type;

    public ObjectTypeBuilder<TObject> ReconciledBy<TReconciler>()
        where TReconciler : class
    {
        type.ReconcilerType = typeof(TReconciler);
        services.TryAddScoped(typeof(TReconciler));
        var host = typeof(ReconcilerHost<>).MakeGenericType(typeof(TObject));
        services.AddSingleton(typeof(Microsoft.Extensions.Hosting.IHostedService), sp =>
            ActivatorUtilities.CreateInstance(sp, host, type));
        return this;
    }

    public ObjectTypeBuilder<TObject> ValidatedBy<TValidator>()
        where TValidator : class, IObjectValidator<TObject>
    {
        type.ValidatorTypes.Add(typeof(TValidator));
        services.TryAddScoped<TValidator>();
        return this;
    }

    // DELETE answers 409 with `message` while a `TDependent` row points at the object.
    public ObjectTypeBuilder<TObject> RefuseDeleteWhileReferencedBy<TDependent>(
        System.Linq.Expressions.Expression<Func<TDependent, long?>> reference, string message)
        where TDependent : class
    {
        var compiled = reference;
        type.DeleteGuards.Add(async (db, id, ct) =>
        {
            var parameter = compiled.Parameters[0];
            var equals = System.Linq.Expressions.Expression.Equal(
                compiled.Body, System.Linq.Expressions.Expression.Constant((long?)id, typeof(long?)));
            var predicate = System.Linq.Expressions.Expression.Lambda<Func<TDependent, bool>>(equals, parameter);
            return await db.Set<TDependent>().AnyAsync(predicate, ct) ? message : null;
        });
        return this;
    }
}

public static class ObjectTypeServiceCollectionExtensions
{
    public static ObjectTypeBuilder<TObject> AddObjectType<TObject>(this IServiceCollection services, string controller)
        where TObject : ThreeportObject
    {
        var type = new ObjectType(typeof(TObject), controller);
        services.AddSingleton(type);
        return new ObjectTypeBuilder<TObject>(services, type);
    }

    // DELETE of a `typeName` object answers 409 while `guard` gives a reason.
    public static IServiceCollection AddDeleteGuard(this IServiceCollection services, string typeName, DeleteGuard guard) =>
        services.AddSingleton(new DeleteGuardRegistration(typeName, guard));
}
