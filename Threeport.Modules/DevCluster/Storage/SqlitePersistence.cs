using Microsoft.Data.Sqlite;

namespace Threeport.Modules.DevCluster.Storage;

// One table of (resource, namespace, name) -> JSON; written through on every change so a restarted
// dev cluster comes back with the same objects and a resourceVersion that keeps growing.
internal sealed class SqlitePersistence : IStorePersistence
{
    private readonly SqliteConnection connection;

    public SqlitePersistence(string path)
    {
        connection = new SqliteConnection($"Data Source={path}");
        connection.Open();
        Execute("PRAGMA journal_mode = WAL;");
        Execute("PRAGMA synchronous = NORMAL;");
        Execute("CREATE TABLE IF NOT EXISTS objects (rkey TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, json BLOB NOT NULL, PRIMARY KEY (rkey, ns, name));");
        Execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);");
    }

    public void Upsert(string key, string ns, string name, long resourceVersion, byte[] json)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO objects (rkey, ns, name, rv, json) VALUES ($k, $ns, $n, $rv, $j) " +
            "ON CONFLICT (rkey, ns, name) DO UPDATE SET rv = excluded.rv, json = excluded.json;" +
            "INSERT INTO meta (k, v) VALUES ('rv', $rv) ON CONFLICT (k) DO UPDATE SET v = excluded.v;";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$ns", ns);
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$rv", resourceVersion);
        cmd.Parameters.AddWithValue("$j", json);
        cmd.ExecuteNonQuery();
    }

    public void Delete(string key, string ns, string name, long resourceVersion)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "DELETE FROM objects WHERE rkey = $k AND ns = $ns AND name = $n;" +
            "INSERT INTO meta (k, v) VALUES ('rv', $rv) ON CONFLICT (k) DO UPDATE SET v = excluded.v;";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$ns", ns);
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$rv", resourceVersion);
        cmd.ExecuteNonQuery();
    }

    public IEnumerable<PersistedRow> LoadAll()
    {
        var rows = new List<PersistedRow>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT rkey, ns, name, rv, json FROM objects ORDER BY rv;";
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new PersistedRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), (byte[])reader[4]));
        }

        return rows;
    }

    public long LoadLastResourceVersion()
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT v FROM meta WHERE k = 'rv';";
        return cmd.ExecuteScalar() is long v ? v : 0;
    }

    public void Dispose()
    {
        connection.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private void Execute(string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
