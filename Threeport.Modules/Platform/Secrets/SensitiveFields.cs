using System.Reflection;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using Threeport.Modules.Platform.Objects;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Modules.Platform.Secrets;

// Puts the [Sensitive] string properties of the EF model behind the FieldProtector, and checks at start-up that
// the key opens what is stored. The columns stay TEXT: no migration, and the model snapshot is unchanged.
public static class SensitiveFields
{
    public static bool IsSensitive(PropertyInfo? property) => property?.GetCustomAttribute<SensitiveAttribute>() is not null;

    // The protector of the host that built the context; null at design time (migrations), where no key exists.
    public static FieldProtector? ProtectorOf(DbContext context) =>
        context.GetService<IDbContextOptions>().FindExtension<Microsoft.EntityFrameworkCore.Infrastructure.CoreOptionsExtension>()
            ?.ApplicationServiceProvider?.GetService<FieldProtector>();

    public static void Apply(ModelBuilder modelBuilder, FieldProtector? protector)
    {
        if (protector is null)
        {
            return;
        }

        var converter = new ValueConverter<string, string>(v => protector.Protect(v), v => protector.Unprotect(v));
        foreach (var property in SensitiveProperties(modelBuilder.Model))
        {
            property.SetValueConverter(converter);
        }
    }

    // Start-up: a value sealed with another key stops start-up with one sentence (nothing is rewritten), and values
    // stored in plain text before encryption existed are sealed in place.
    public static async Task VerifyAsync(ThreeportDb db, FieldProtector protector, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            foreach (var property in SensitiveProperties(db.Model))
            {
                var table = property.DeclaringType.GetTableName();
                var column = property.GetColumnName();
                if (table is null)
                {
                    continue;
                }

                var plaintext = new List<(long RowId, string Value)>();
                await using (var select = connection.CreateCommand())
                {
                    select.CommandText = $"SELECT rowid, \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL";
                    await using var reader = await select.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct))
                    {
                        var stored = reader.GetString(1);
                        if (!FieldProtector.IsProtected(stored))
                        {
                            plaintext.Add((reader.GetInt64(0), stored));
                            continue;
                        }

                        try
                        {
                            protector.Unprotect(stored);
                        }
                        catch (CryptographicException ex)
                        {
                            throw new StartupException(
                                $"the encryption key does not open the sensitive fields stored in {table}.{column}: start with the key they were written with ({EncryptionKeySettings.Key}, or the data directory's {EncryptionKeySettings.FileName}); nothing was changed",
                                ex);
                        }
                    }
                }

                foreach (var (rowId, value) in plaintext)
                {
                    await using var update = connection.CreateCommand();
                    update.CommandText = $"UPDATE \"{table}\" SET \"{column}\" = $value WHERE rowid = $rowid";
                    var sealedValue = update.CreateParameter();
                    sealedValue.ParameterName = "$value";
                    sealedValue.Value = protector.Protect(value);
                    update.Parameters.Add(sealedValue);
                    var row = update.CreateParameter();
                    row.ParameterName = "$rowid";
                    row.Value = rowId;
                    update.Parameters.Add(row);
                    await update.ExecuteNonQueryAsync(ct);
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static IEnumerable<IMutableProperty> SensitiveProperties(IMutableModel model) =>
        model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.ClrType == typeof(string) && IsSensitive(p.PropertyInfo));

    private static IEnumerable<IProperty> SensitiveProperties(IModel model) =>
        model.GetEntityTypes().SelectMany(e => e.GetProperties()).Where(p => p.ClrType == typeof(string) && IsSensitive(p.PropertyInfo));
}
