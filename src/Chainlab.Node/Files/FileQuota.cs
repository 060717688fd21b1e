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
/// <para>
/// The older writer goes first. Writers that reserve a block at a time cannot know their files' sizes, so six
/// uploads that together need twice the room would otherwise each reserve a sixth of it and all fail. A writer
/// whose block does not fit is refused only when it would not fit beside the writers older than it alone;
/// otherwise the youngest writers give way (each is refused at its next block and gives its reservation back
/// when it ends) and the older one waits for them.
/// </para>
/// </summary>
public sealed class FileQuota(IFileStore store, long quotaBytes)
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, Writer> _writers = new(); // by age, oldest first
    private long _begun, _stored, _reserved;
    private TaskCompletionSource _changed = NewSignal();

    public long QuotaBytes => quotaBytes;

    /// <summary>Bytes stored (as the quota counts them) plus bytes reserved by writers at work.</summary>
    public long Used { get { lock (_gate) return _stored + _reserved; } }

    /// <summary>One writer's share of the quota, from <see cref="Begin"/> to <see cref="End"/>.</summary>
    public sealed class Writer
    {
        internal long Age, Reserved, Wants;
        internal bool GivesWay;
        /// <summary>Bytes this writer has reserved.</summary>
        public long ReservedBytes => Reserved;
    }

    /// <summary>A writer starts.</summary>
    public Writer Begin()
    {
        lock (_gate)
        {
            if (_writers.Count == 0) { _stored = store.FileBlockBytes(); _reserved = 0; } // may throw: then no writer began
            var w = new Writer { Age = _begun++ };
            _writers.Add(w.Age, w);
            return w;
        }
    }

    /// <summary>Reserves room for a block before it is written, waits for younger writers to give way, or refuses the file.</summary>
    /// <param name="beforeWaiting">Run once before the writer first waits: it must not hold locks the younger writers need to end.</param>
    public async ValueTask ReserveAsync(Writer writer, long bytes, Func<Task>? beforeWaiting, CancellationToken ct)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                writer.Wants = 0;
                if (writer.GivesWay) throw Refused("an older upload needs the room");
                // What the older writers hold and are waiting for comes first: a newcomer does not take the room
                // an older writer waits for.
                var older = _stored + bytes;
                foreach (var (age, w) in _writers)
                    if (age < writer.Age) older += w.Reserved + w.Wants;
                    else if (age == writer.Age) older += w.Reserved;
                    else break;
                var younger = _reserved - _writers.Values.Where(w => w.Age <= writer.Age).Sum(w => w.Reserved);
                if (older + younger <= quotaBytes) { _reserved += bytes; writer.Reserved += bytes; return; }
                if (older > quotaBytes) throw Refused($"it holds or is writing {_stored + _reserved}");
                // It fits beside the older writers: the youngest give way until it would fit once they end.
                var missing = older + younger - quotaBytes;
                var marked = false;
                foreach (var w in _writers.Values.Reverse())
                {
                    if (missing <= 0 || w == writer) break;
                    marked |= !w.GivesWay;
                    w.GivesWay = true;
                    missing -= w.Reserved;
                }
                writer.Wants = bytes;
                if (marked) Signal(); // a younger writer waiting for room wakes and sees that it gives way
                changed = _changed.Task; // and this one waits for the next change
            }
            try
            {
                if (beforeWaiting is { } before) { beforeWaiting = null; await before(); continue; }
                await changed.WaitAsync(ct);
            }
            catch
            {
                lock (_gate) writer.Wants = 0;
                throw;
            }
        }
    }

    /// <summary>A writer ends, having newly stored <paramref name="stored"/> bytes (0 unless it completed).</summary>
    public void End(Writer writer, long stored)
    {
        lock (_gate)
        {
            if (!_writers.Remove(writer.Age)) return;
            _reserved -= writer.Reserved;
            _stored += stored;
            Signal();
        }
    }

    private FileRefusedException Refused(string why) =>
        new("quota-exceeded", 413, $"the node keeps at most {quotaBytes} bytes of files and {why}; this file does not fit");

    private void Signal()
    {
        var was = _changed;
        _changed = NewSignal();
        was.SetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
