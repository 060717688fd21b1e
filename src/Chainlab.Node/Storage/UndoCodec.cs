using Chainlab.Core.Crypto;
using Chainlab.Core.Encoding;
using Chainlab.Core.State;

namespace Chainlab.Node.Storage;

/// <summary>
/// Undo data for a block: the accounts it touched as they were before (empty = absent). Layout: count,
/// then address + balance, nonce, stake per account; then (since schema 3) the data of the accounts that
/// had any, as a count of address + bytes. Undo written before schema 3 simply ends after the first part.
/// </summary>
public static class UndoCodec
{
    public static byte[] Encode(IReadOnlyDictionary<Address, Account> previous)
    {
        var w = new CanonicalWriter(8 + previous.Count * (Address.Size + Account.EncodedSize));
        w.U32((uint)previous.Count);
        var ordered = previous.OrderBy(kv => kv.Key).ToList();
        foreach (var (addr, acc) in ordered)
        {
            w.Address(addr);
            w.U64(acc.Balance); w.U64(acc.Nonce); w.U64(acc.Stake);
        }
        var withData = ordered.Where(kv => kv.Value.Data is { Length: > 0 }).ToList();
        if (withData.Count > 0)
        {
            w.U32((uint)withData.Count);
            foreach (var (addr, acc) in withData) { w.Address(addr); w.Bytes(acc.Data!); }
        }
        return w.ToArray();
    }

    public static Dictionary<Address, Account> Decode(ReadOnlySpan<byte> data)
    {
        var r = new CanonicalReader(data);
        var n = r.Count(10_000_000, Address.Size + Account.EncodedSize, "undo entries");
        var d = new Dictionary<Address, Account>(n);
        for (var i = 0; i < n; i++) d[r.Address("address")] = new Account(r.U64("balance"), r.U64("nonce"), r.U64("stake"));
        if (r.Remaining > 0)
        {
            var m = r.Count(n, Address.Size + 4, "undo data entries");
            for (var i = 0; i < m; i++)
            {
                var addr = r.Address("address");
                var bytes = r.Bytes(Account.MaxDataBytes, "account data").ToArray();
                if (!d.TryGetValue(addr, out var acc)) throw new DecodeException("undo data for an account that is not in the undo set");
                d[addr] = acc with { Data = bytes };
            }
        }
        r.EnsureEnd("undo data");
        return d;
    }
}
