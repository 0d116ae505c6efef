using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace Threeport.Tests.Support;

// Stops an in-process control plane and removes the data directory it was given, if it made it.
public static class HostTeardown
{
    public static async Task StopAsync(WebApplication app, HttpClient client, string? directoryToDelete)
    {
        client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (directoryToDelete is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directoryToDelete, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a pooled connection: the temp folder is cleaned by the OS.
        }
    }
}
