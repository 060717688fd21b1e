using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>
/// The node's file quota, shared by every writer (uploads, CAR imports, fetches): bytes are reserved before they
/// are written, so writers at work together can never pass it. The stored figure is read from the store when
/// the first of a group of concurrent writers starts; while writers are at work a completed one gives its
/// reservation back and adds the bytes it newly stored, and a failed one only gives its reservation back
/// (blocks the store already had are reserved while written, never counted twice once done). Files the
/// collector removes while writers overlap count until the last of them ends: the quota may refuse a little
/// early then, never let a writer past it.
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
        {
            if (_writers == 0) { _stored = store.FileBlockBytes(); _reserved = 0; } // may throw: then no writer began
            _writers++;
        }
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

    /// <summary>A writer ends, having reserved <paramref name="reserved"/> bytes and newly stored <paramref name="stored"/> (0 unless it completed).</summary>
    public void End(long reserved, long stored)
    {
        lock (_gate)
        {
            _writers--;
            _reserved -= reserved;
            _stored += stored;
        }
    }
}
