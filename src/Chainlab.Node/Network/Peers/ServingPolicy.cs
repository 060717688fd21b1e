namespace Chainlab.Node.Network.Peers;

/// <summary>
/// What this node tells and serves its peers about its own chain. An honest node serves everything; the
/// adversary lab plugs its misbehaviours in here: heights it neither announces nor serves yet (selfish
/// mining) and lies about the blocks it serves (forged, withheld or reordered answers).
/// </summary>
public sealed class ServingPolicy
{
    private volatile Func<ulong, bool>? _withheld;
    private volatile Func<Peer, ulong, IReadOnlyList<byte[]>, IReadOnlyList<byte[]>>? _lie;

    /// <summary>Is this height of our chain withheld (neither announced nor served)?</summary>
    public bool IsWithheld(ulong height) => _withheld?.Invoke(height) == true;

    /// <summary>Adds heights to withhold; several misbehaviours withholding at once hide what any of them hides.</summary>
    public void Withhold(Func<ulong, bool> hidden)
    {
        var before = _withheld;
        _withheld = before is null ? hidden : h => before(h) || hidden(h);
    }

    /// <summary>
    /// Changes what this node serves when a peer asks for blocks from a height (the blocks it would serve come
    /// in; what it serves goes out). Lies compose in the order they were added.
    /// </summary>
    public void AddBlockLie(Func<Peer, ulong, IReadOnlyList<byte[]>, IReadOnlyList<byte[]>> lie)
    {
        var before = _lie;
        _lie = before is null ? lie : (p, from, b) => lie(p, from, before(p, from, b));
    }

    /// <summary>The blocks to send for a request from <paramref name="from"/>: withheld heights cut the answer short, then the lies apply.</summary>
    public IReadOnlyList<byte[]> Serve(Peer peer, ulong from, IReadOnlyList<byte[]> blocks)
    {
        if (_withheld is { } hidden) blocks = blocks.TakeWhile((_, i) => !hidden(from + (ulong)i)).ToList();
        return _lie is { } lie ? lie(peer, from, blocks) : blocks;
    }
}
