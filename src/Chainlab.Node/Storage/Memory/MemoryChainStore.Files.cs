using Chainlab.Core.Crypto;
using Chainlab.Core.Files;

namespace Chainlab.Node.Storage.Memory;

/// <summary>File blocks and records in memory, with the same rules as the SQL backends; anchors are read off the canonical blocks.</summary>
public sealed partial class MemoryChainStore
{
    public byte[]? FileBlock(Cid cid) { lock (_d.Gate) return _d.FileBlocks.TryGetValue(cid, out var b) ? b.Data : null; }

    public bool HasFileBlock(Cid cid) { lock (_d.Gate) return _d.FileBlocks.ContainsKey(cid); }

    public IFileWriter WriteFile(long nowMs) => new Writer(_d, nowMs);

    public StoredFile? StoredFile(Cid root) { lock (_d.Gate) return _d.Files.GetValueOrDefault(root); }

    public IReadOnlyList<StoredFile> StoredFiles(int limit, int offset)
    {
        lock (_d.Gate)
            return _d.Files.Values.OrderByDescending(f => f.AddedMs).ThenBy(f => f.Cid.Bytes.ToArray(), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))
                .Skip(offset).Take(limit).ToList();
    }

    public long FileBlockBytes() { lock (_d.Gate) return _d.FileBlocks.Values.Sum(b => (long)b.Data.Length); }

    public long FileBytes(Cid root)
    {
        lock (_d.Gate)
            return _d.FileRefs.TryGetValue(root, out var refs) ? refs.Sum(c => _d.FileBlocks.TryGetValue(c, out var b) ? (long)b.Data.Length : 0) : 0;
    }

    public (int Files, int Blocks) CollectFiles(long nowMs, long orphanBeforeMs, IReadOnlySet<Cid>? pinned = null)
    {
        lock (_d.Gate)
        {
            var expired = _d.Files.Values.Where(f => f.ExpiresMs is { } e && e < nowMs).ToList();
            // The anchors are a walk over every canonical block: only when some file has expired.
            IReadOnlySet<Cid> anchored = expired.Count == 0 ? new HashSet<Cid>() : pinned ?? AllAnchors().Select(a => a.Ref.Cid).ToHashSet();
            var files = expired.Where(f => !anchored.Contains(f.Cid)).Select(f => f.Cid).ToList();
            foreach (var f in files) { _d.Files.Remove(f); _d.FileRefs.Remove(f); }
            var used = _d.FileRefs.Values.SelectMany(r => r).ToHashSet();
            var blocks = _d.FileBlocks.Where(b => b.Value.AddedMs < orphanBeforeMs && !used.Contains(b.Key)).Select(b => b.Key).ToList();
            foreach (var b in blocks) _d.FileBlocks.Remove(b);
            return (files.Count, blocks.Count);
        }
    }

    private IEnumerable<FileAnchor> AllAnchors()
    {
        foreach (var h in _d.AnchorHeights)
        {
            var b = _d.Blocks[_d.Canonical[h]].Block;
            foreach (var (_, _, tx, f) in SqlChainStore.Anchors(b, _d.Receipts[h])) yield return new FileAnchor(b.Height, tx.Hash, tx.Sender, f);
        }
    }

    public IReadOnlyList<FileAnchor> FileAnchors(Address? anchoredBy, int limit, int offset)
    {
        lock (_d.Gate) return AllAnchors().Where(a => anchoredBy is null || a.AnchoredBy == anchoredBy).Skip(offset).Take(limit).ToList();
    }

    public IReadOnlyList<FileAnchor> AnchorsOf(Cid cid)
    {
        lock (_d.Gate) return AllAnchors().Where(a => a.Ref.Cid == cid).ToList();
    }

    private sealed class Writer(MemoryChainData d, long nowMs) : IFileWriter
    {
        private readonly HashSet<Cid> _written = new();
        private readonly HashSet<Cid> _referenced = new();
        private bool _completed;

        public void Reference(Cid cid) => _referenced.Add(cid);

        public void Flush() { } // every block is in the store as it is put

        public bool Put(Cid cid, byte[] block)
        {
            if (!_written.Add(cid)) return false;
            lock (d.Gate) return d.FileBlocks.TryAdd(cid, (block, nowMs));
        }

        public void Complete(StoredFile file)
        {
            lock (d.Gate)
            {
                if (!d.FileBlocks.ContainsKey(file.Cid)) throw new InvalidOperationException($"file {file.Cid} has no root block");
                if (_written.Concat(_referenced).FirstOrDefault(c => !d.FileBlocks.ContainsKey(c)) is { } gone)
                    throw new StoreException($"block {gone} went missing while file {file.Cid} was written; add it again");
                d.Files[file.Cid] = d.Files.TryGetValue(file.Cid, out var old)
                    ? file with { ExpiresMs = old.ExpiresMs is null || file.ExpiresMs is null ? null : file.ExpiresMs, Name = file.Name ?? old.Name, MediaType = file.MediaType ?? old.MediaType, AddedMs = old.AddedMs }
                    : file;
                if (!d.FileRefs.TryGetValue(file.Cid, out var refs)) d.FileRefs[file.Cid] = refs = new();
                refs.UnionWith(_written);
                refs.UnionWith(_referenced);
            }
            _completed = true;
        }

        public void Dispose()
        {
            if (_completed) return;
            lock (d.Gate)
            {
                var used = d.FileRefs.Values.SelectMany(r => r).ToHashSet();
                foreach (var c in _written.Where(c => !used.Contains(c))) d.FileBlocks.Remove(c);
            }
        }
    }
}
