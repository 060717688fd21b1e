namespace Chainlab.Core.Files;

/// <summary>
/// A file's bytes from a CAR its holder sent, trusting nothing: every block is checked against its CID as it
/// arrives (kept in a scratch file, not in memory), the file is then read from those blocks with every size
/// checked, and at most a given number of bytes is written. What a node serves cannot pass for the file unless
/// it is the file.
/// </summary>
public static class CarFile
{
    /// <summary>Writes the file under <paramref name="root"/> to <paramref name="output"/>; returns its length. FormatException for any block, size or limit that does not hold.</summary>
    public static async Task<long> ExtractAsync(Stream car, Cid root, Stream output, long maxBytes, string scratchPath, CancellationToken ct, Action<long>? progress = null)
    {
        var roots = await Car.ReadHeaderAsync(car, ct);
        if (roots.Count != 1 || roots[0] != root) throw new FormatException($"the CAR is for {string.Join(", ", roots)}, not {root}");
        await using var scratch = new FileStream(scratchPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        var index = new Dictionary<Cid, (long At, int Length)>();
        long received = 0;
        while (await Car.ReadBlockAsync(car, ct) is { } b) // each checked against its CID here
        {
            received += b.Block.Length;
            if (received > maxBytes + (maxBytes >> 4) + (1 << 20)) throw new FormatException($"the CAR holds more than this download's limit of {maxBytes} bytes");
            if (index.ContainsKey(b.Cid)) continue;
            index[b.Cid] = (scratch.Position, b.Block.Length);
            await scratch.WriteAsync(b.Block, ct);
        }
        var limited = new Limited(output, maxBytes);
        try { await UnixFsReader.WriteFileAsync(root, new Scratch(scratch, index), limited, ct, progress: progress); }
        catch (BlockMissingException e) { throw new FormatException($"the CAR lacks block {e.Cid} of {root}"); }
        return limited.Written;
    }

    private sealed class Scratch(FileStream file, Dictionary<Cid, (long At, int Length)> index) : IBlockSource
    {
        public async ValueTask<byte[]?> GetAsync(Cid cid, CancellationToken ct)
        {
            if (!index.TryGetValue(cid, out var at)) return null;
            var block = new byte[at.Length];
            file.Position = at.At;
            await file.ReadExactlyAsync(block, ct);
            return block;
        }
    }

    private sealed class Limited(Stream inner, long max) : WriteOnlyStream
    {
        public long Written => Passed;
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            if (Passed + buffer.Length > max) throw new FormatException($"the file is larger than this download's limit of {max} bytes");
            await inner.WriteAsync(buffer, ct);
            Passed += buffer.Length;
        }
    }
}
