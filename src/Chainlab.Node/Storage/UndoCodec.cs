using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage;

/// <summary>Undo data for a block: the accounts it touched as they were before (empty = absent).</summary>
public static class UndoCodec
{
    public static byte[] Encode(IReadOnlyDictionary<Address, Account> previous)
    {
        var w = new CanonicalWriter(8 + previous.Count * (Address.Size + Account.EncodedSize));
        w.U32((uint)previous.Count);
        foreach (var (addr, acc) in previous.OrderBy(kv => kv.Key))
        {
            w.Address(addr);
            w.U64(acc.Balance); w.U64(acc.Nonce); w.U64(acc.Stake);
        }
        return w.ToArray();
    }

    public static Dictionary<Address, Account> Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var n = r.Count(10_000_000, Address.Size + Account.EncodedSize, "undo entries");
        var d = new Dictionary<Address, Account>(n);
        for (var i = 0; i < n; i++) d[r.Address("address")] = new Account(r.U64("balance"), r.U64("nonce"), r.U64("stake"));
        r.EnsureEnd("undo data");
        return d;
    }
}
