namespace Threeport.Modules.Platform.Leases;

// SQLite has one writer at a time. Without this gate, writers of this process that collide get SQLITE_BUSY
// and Microsoft.Data.Sqlite retries after sleeping (150 ms per retry in its busy loop), which put 150-300 ms
// stalls into notification latency and held reconciles to ~100/s (docs/benchmarks.md). Queuing the platform's
// write transactions here instead costs an uncontended semaphore when alone and a FIFO hand-off when not.
// It orders writers of this process only; other processes still meet SQLite's own locking.
public sealed class SqliteWriteGate
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public async ValueTask<Releaser> EnterAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    public readonly struct Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
