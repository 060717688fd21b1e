using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;

namespace Chainlab.Core.Finality;

/// <summary>
/// A block that voters vote on: the block at a height that is a multiple of the checkpoint interval K
/// (genesis, height 0, is the first). Canonical layout: height u64 | hash [32].
/// </summary>
public readonly record struct Checkpoint(ulong Height, Hash Hash)
{
    public const int EncodedSize = 8 + Hash.Size;

    /// <summary>The checkpoint's number: its height divided by the interval.</summary>
    public ulong Number(ulong interval) => Height / interval;

    public bool IsAt(ulong interval) => interval > 0 && Height % interval == 0;

    public void Write(CanonicalWriter w) { w.U64(Height); w.Hash(Hash); }

    public static Checkpoint Read(ref CanonicalReader r, string what) => new(r.U64(what + " height"), r.Hash(what + " hash"));

    public override string ToString() => $"{Height}:{Hash.Short}";
}
