using System.Threading.Channels;
using Chainlab.Core.Files;
using Chainlab.Node.Storage;

namespace Chainlab.Node.Files;

/// <summary>
/// The blocks of one file on their way into the store, watching the node's quota. The database writes run on a
/// task of their own, a few blocks behind the hashing or the network, so that the two overlap. Completing waits
/// for every write and then records the file; disposing without completing waits for them too and lets the
/// store's writer remove what it wrote.
/// </summary>
internal sealed class BackgroundBlockWriter : IBlockSink, IAsyncDisposable
{
    private readonly IFileWriter _writer;
    private readonly long _stored;
    private readonly FileStoreOptions _options;
    private readonly Channel<(Cid, byte[])> _queue = Channel.CreateBounded<(Cid, byte[])>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly Task _consumer;
    private long _added;

    public BackgroundBlockWriter(IFileStore store, long nowMs, FileStoreOptions options)
    {
        _writer = store.WriteFile(nowMs);
        _stored = store.FileBlockBytes();
        _options = options;
        _consumer = Task.Run(async () =>
        {
            try { await foreach (var (cid, block) in _queue.Reader.ReadAllAsync()) _writer.Put(cid, block); }
            catch (Exception e)
            {
                _queue.Writer.TryComplete(e); // a producer waiting for room stops instead of waiting for ever
                throw;
            }
        });
    }

    public async ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        _added += block.Length;
        if (_stored + _added > _options.QuotaBytes)
            throw new FileRefusedException("quota-exceeded", 413, $"the node keeps at most {_options.QuotaBytes} bytes of files and holds {_stored}; this file does not fit");
        // The block is ours to keep; only a block that is part of a larger array (the last, short chunk) is copied.
        var array = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(block, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length
            ? seg.Array : block.ToArray();
        bool room;
        try { room = await _queue.Writer.WaitToWriteAsync(ct) && _queue.Writer.TryWrite((cid, array)); }
        catch (Exception) when (_consumer.IsFaulted) { room = false; }
        if (!room) await _consumer; // the writer stopped: its exception comes out here
    }

    /// <summary>Waits until every block is written (passing on a failure of the writes), then records the file.</summary>
    public async Task CompleteAsync(StoredFile file)
    {
        _queue.Writer.TryComplete();
        await _consumer;
        _writer.Complete(file);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try { await _consumer; }
        catch (Exception) { } // the failure was passed on where it happened; here the writes only have to be over
        _writer.Dispose();
    }
}
