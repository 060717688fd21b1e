using System.Threading.Channels;
using Chainlab.Core.Files;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>
/// The blocks of one file on their way into the store, each reserved in the node's quota before it is written. The database writes run on a
/// task of their own, a few blocks behind the hashing or the network, so that the two overlap. Completing waits
/// for every write and then records the file; disposing without completing waits for them too and lets the
/// store's writer remove what it wrote.
/// </summary>
internal sealed class BackgroundBlockWriter : IBlockSink, IAsyncDisposable
{
    private readonly IFileWriter _writer;
    private readonly IFileStore _store;
    private readonly List<Cid> _reused = new();
    private readonly FileQuota _quota;
    private readonly FileQuota.Writer _share;
    private readonly Channel<(Cid Cid, byte[]? Block, TaskCompletionSource? Flushed)> _queue = Channel.CreateBounded<(Cid, byte[]?, TaskCompletionSource?)>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly Task _consumer;
    private long _inserted;
    private bool _completed, _ended;

    public BackgroundBlockWriter(IFileStore store, long nowMs, FileQuota quota)
    {
        _writer = store.WriteFile(nowMs);
        _quota = quota;
        try { _share = _quota.Begin(); }
        catch { _writer.Dispose(); throw; }
        _store = store;
        _consumer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (cid, block, flushed) in _queue.Reader.ReadAllAsync())
                    if (flushed is not null) { _writer.Flush(); flushed.SetResult(); }
                    else if (_writer.Put(cid, block!)) Interlocked.Add(ref _inserted, block!.Length);
            }
            catch (Exception e)
            {
                _queue.Writer.TryComplete(e); // a producer waiting for room stops instead of waiting for ever
                throw;
            }
        });
    }

    public async ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        // Before the block is written: concurrent writers share the quota. Before waiting there for younger writers
        // to give way, what this one wrote is committed, so that they can finish their writes and end.
        await _quota.ReserveAsync(_share, block.Length, () => Enqueue(null!, null, new(TaskCreationOptions.RunContinuationsAsynchronously), ct), ct);
        // The block is ours to keep; only a block that is part of a larger array (the last, short chunk) is copied.
        var array = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(block, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length
            ? seg.Array : block.ToArray();
        await Enqueue(cid, array, null, ct);
    }

    private async Task Enqueue(Cid cid, byte[]? block, TaskCompletionSource? flushed, CancellationToken ct)
    {
        bool room;
        try { room = await _queue.Writer.WaitToWriteAsync(ct) && _queue.Writer.TryWrite((cid, block, flushed)); }
        catch (Exception) when (_consumer.IsFaulted) { room = false; }
        if (!room) await _consumer; // the writer stopped: its exception comes out here
        if (flushed is not null && await Task.WhenAny(flushed.Task, _consumer) == _consumer) await _consumer;
    }

    /// <summary>
    /// A block this file needs that the node already has (so it is not put again): when the file is recorded,
    /// it and every block under it are referenced by the file, so the collector cannot take them while the file
    /// is kept, whichever file brought them first.
    /// </summary>
    public void Reuse(Cid cid) => _reused.Add(cid);

    /// <summary>Waits until every block is written (passing on a failure of the writes), references the reused blocks and all under them, then records the file.</summary>
    public async Task CompleteAsync(StoredFile file, CancellationToken ct = default)
    {
        _queue.Writer.TryComplete();
        await _consumer;
        if (_reused.Count > 0)
        {
            HashSet<Cid> under;
            try { under = await DagWalk.ReachableAsync(_reused, new StoredBlocks(_store), ct); }
            catch (FormatException e) { throw new FileRefusedException("incomplete-dag", 422, e.Message); }
            foreach (var cid in under) _writer.Reference(cid);
        }
        _writer.Complete(file);
        _completed = true;
    }

    private sealed class StoredBlocks(IFileStore store) : IBlockSource
    {
        public ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct) => ValueTask.FromResult(store.FileBlock(cid));
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        // The writes only have to be over: a failure was passed on where it happened (observed here, not thrown again).
        await _consumer.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        try { _writer.Dispose(); }
        finally
        {
            if (!_ended) _quota.End(_share, _completed ? Interlocked.Read(ref _inserted) : 0);
            _ended = true;
        }
    }
}
