using System.Runtime.CompilerServices;
using Chainlab.Node.Network.Protocol;

namespace Chainlab.Sim;

/// <summary>
/// One frame per block for every node of a run. A node serves a block as the bytes its store holds, and every
/// simulated store holds the one shared array of those bytes (SharedBlocks), so a Blocks message of that single array
/// frames to the same bytes whichever node sends it: it is framed once, and the frame (never written to after, by the
/// node or the simulated link) goes out from every node. Keyed by the array itself, so a block a node changed before
/// serving it (an adversary's lie) is a different array and is framed on its own; everything else is framed as usual.
/// </summary>
public sealed class SharedFrames
{
    private readonly ConditionalWeakTable<byte[], byte[]> _blocks = new();
    private long _framed, _shared;

    public byte[] Encode(Message m)
    {
        if (m is not Blocks { Raw: [var only] }) return MessageCodec.Encode(m);
        if (_blocks.TryGetValue(only, out var frame)) { Interlocked.Increment(ref _shared); return frame; }
        Interlocked.Increment(ref _framed);
        return _blocks.GetValue(only, _ => MessageCodec.Encode(m));
    }

    /// <summary>Single-block frames built, and sends that took one already built.</summary>
    public (long Framed, long Shared) Counts => (Interlocked.Read(ref _framed), Interlocked.Read(ref _shared));
}
