namespace Threeport.Modules.DevCluster.Storage;

// Write-through durability for the store; called with the store lock held, so implementations must
// be quick and must not log.
internal interface IStorePersistence : IDisposable
{
    void Upsert(string key, string ns, string name, long resourceVersion, byte[] json);

    void Delete(string key, string ns, string name, long resourceVersion);

    IEnumerable<PersistedRow> LoadAll();

    long LoadLastResourceVersion();
}

internal sealed record PersistedRow(string Key, string Namespace, string Name, long ResourceVersion, byte[] Json);
