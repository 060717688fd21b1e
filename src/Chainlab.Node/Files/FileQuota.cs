using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>
/// The node's file quota, shared by every writer (uploads, CAR imports, fetches): bytes are reserved before they
/// are written, so writers at work together can never pass it. The stored figure is read from the store when
/// the first of a group of concurrent writers starts; while writers are at work a completed one adds what it
/// reserved (an upper bound: blocks the store already had count again) and a failed one gives its reservation
/// back. So the quota can refuse a little early while several writers overlap, never let one past it.
/// </summary>
public sealed class FileQuota(IFileStore store, long quotaBytes)
{
    private readonly object _gate = new();
    private int _writers;
    private long _stored, _reserved;

    public long QuotaBytes => quotaBytes;

    /// <summary>Bytes stored (as the quota counts them) plus bytes reserved by writers at work.</summary>
    public long Used { get { lock (_gate) return _stored + _reserved; } }

    /// <summary>A writer starts.</summary>
    public void Begin()
    {
        lock (_gate)
            if (_writers++ == 0) { _stored = store.FileBlockBytes(); _reserved = 0; }
    }

    /// <summary>Reserves room for a block before it is written, or refuses the file.</summary>
    public void Reserve(long bytes)
    {
        lock (_gate)
        {
            if (_stored + _reserved + bytes > quotaBytes)
                throw new FileRefusedException("quota-exceeded", 413,
                    $"the node keeps at most {quotaBytes} bytes of files and holds or is writing {_stored + _reserved}; this file does not fit");
            _reserved += bytes;
        }
    }

    /// <summary>A writer ends, having reserved <paramref name="reserved"/> bytes; completed, they now count as stored.</summary>
    public void End(long reserved, bool completed)
    {
        lock (_gate)
        {
            _writers--;
            _reserved -= reserved;
            if (completed) _stored += reserved;
        }
    }
}
