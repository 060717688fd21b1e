namespace Chainlab.Core.Files;

/// <summary>The blocks under given blocks, for referencing every block a file needs however it arrived.</summary>
public static class DagWalk
{
    /// <summary>
    /// Every block reachable from <paramref name="starts"/> (the starts included). Only dag-pb blocks are read
    /// (raw blocks have no links); a block the source lacks, or more than the limit's blocks, is a
    /// <see cref="FormatException"/>. Each block is visited once, whatever number of links lead to it.
    /// </summary>
    public static async Task<HashSet<Cid>> ReachableAsync(IEnumerable<Cid> starts, IBlockSource source, CancellationToken ct, DagLimits? limits = null)
    {
        limits ??= DagLimits.Default;
        var seen = new HashSet<Cid>();
        var stack = new Stack<Cid>();
        foreach (var s in starts)
            if (seen.Add(s)) stack.Push(s);
        while (stack.TryPop(out var cid))
        {
            ct.ThrowIfCancellationRequested();
            if (seen.Count > limits.MaxBlocks) throw new FormatException($"more than {limits.MaxBlocks} blocks under the blocks already stored");
            if (cid.Codec != Cid.DagPb) continue;
            var block = await source.GetAsync(cid, ct) ?? throw new FormatException($"block {cid} is neither in the upload nor on this node");
            foreach (var link in PbNode.Decode(block).Links)
                if (seen.Add(link.Hash)) stack.Push(link.Hash);
        }
        return seen;
    }
}
