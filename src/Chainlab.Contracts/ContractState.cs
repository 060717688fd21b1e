using System.Buffers.Binary;
using System.Text;
using Chainlab.Core.Crypto;
using Chainlab.Core.State;

namespace Chainlab.Contracts;

/// <summary>
/// Where contracts live in the state. Everything is an entry of the one state tree, so the state root commits
/// to it, proofs work as for accounts, and the chain's undo data reverts it on reorganisation in every store:
/// <list type="bullet">
/// <item>a contract is an account (its balance is the contract's) whose data is "C" ‖ code hash [32];</item>
/// <item>code is stored once per hash at H("chainlab/code" ‖ code hash)[0..20], data "K" ‖ code;</item>
/// <item>a storage slot sits at H("chainlab/storage" ‖ contract ‖ key)[0..20], data "S" ‖ contract ‖ u32 key length ‖ key ‖ value.</item>
/// </list>
/// See docs/decisions/0004-contract-state.md.
/// </summary>
public static class ContractState
{
    private const byte ContractTag = (byte)'C', CodeTag = (byte)'K', SlotTag = (byte)'S';

    /// <summary>The address of the contract that a sender's transaction with this nonce deploys.</summary>
    public static Address ContractAddress(in Address deployer, ulong nonce)
    {
        Span<byte> b = stackalloc byte[16 + Address.Size + 8];
        "chainlab/deploy/"u8.CopyTo(b);
        deployer.WriteTo(b.Slice(16, Address.Size));
        BinaryPrimitives.WriteUInt64BigEndian(b[(16 + Address.Size)..], nonce);
        return new Address(Hash.Sha256(b).ToArray().AsSpan(0, Address.Size));
    }

    public static Address CodeAddress(in Hash codeHash)
    {
        Span<byte> b = stackalloc byte[13 + Hash.Size];
        "chainlab/code"u8.CopyTo(b);
        codeHash.WriteTo(b[13..]);
        return new Address(Hash.Sha256(b).ToArray().AsSpan(0, Address.Size));
    }

    public static Address SlotAddress(in Address contract, ReadOnlySpan<byte> key)
    {
        var b = new byte[16 + Address.Size + key.Length];
        "chainlab/storage"u8.CopyTo(b);
        contract.WriteTo(b.AsSpan(16, Address.Size));
        key.CopyTo(b.AsSpan(16 + Address.Size));
        return new Address(Hash.Sha256(b).ToArray().AsSpan(0, Address.Size));
    }

    /// <summary>The code hash of the contract at this address, or null when it is not a contract.</summary>
    public static Hash? CodeHashOf(IAccountReader state, in Address contract) =>
        state.Get(contract).Data is { Length: 1 + Hash.Size } d && d[0] == ContractTag ? new Hash(d.AsSpan(1)) : null;

    public static byte[]? Code(IAccountReader state, in Hash codeHash) =>
        state.Get(CodeAddress(codeHash)).Data is { Length: > 1 } d && d[0] == CodeTag ? d[1..] : null;

    /// <summary>Makes an account a contract and stores its code (once per hash).</summary>
    public static void Install(StateOverlay state, in Address contract, byte[] code)
    {
        var hash = Hash.Sha256(code);
        var codeAt = CodeAddress(hash);
        var entry = state.Get(codeAt);
        if (entry.Data is null) state.Set(codeAt, entry with { Data = [CodeTag, .. code] });
        var data = new byte[1 + Hash.Size];
        data[0] = ContractTag;
        hash.WriteTo(data.AsSpan(1));
        state.Set(contract, state.Get(contract) with { Data = data });
    }

    public static byte[]? Get(IAccountReader state, in Address contract, ReadOnlySpan<byte> key)
    {
        var d = state.Get(SlotAddress(contract, key)).Data;
        if (d is null || d.Length < 1 + Address.Size + 4 || d[0] != SlotTag) return null;
        var keyLength = (int)BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(1 + Address.Size));
        return d[(1 + Address.Size + 4 + keyLength)..];
    }

    /// <summary>Writes a slot, or clears it when value is null (a balance someone sent to the slot's address stays).</summary>
    public static void Set(StateOverlay state, in Address contract, ReadOnlySpan<byte> key, byte[]? value)
    {
        var at = SlotAddress(contract, key);
        var entry = state.Get(at);
        if (value is null) { state.Set(at, entry with { Data = null }); return; }
        var data = new byte[1 + Address.Size + 4 + key.Length + value.Length];
        data[0] = SlotTag;
        contract.WriteTo(data.AsSpan(1, Address.Size));
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(1 + Address.Size), (uint)key.Length);
        key.CopyTo(data.AsSpan(1 + Address.Size + 4));
        value.CopyTo(data.AsSpan(1 + Address.Size + 4 + key.Length));
        state.Set(at, entry with { Data = data });
    }

    /// <summary>A storage entry decoded from an account's data, or null when the data is not one.</summary>
    public static (Address Contract, byte[] Key, byte[] Value)? AsSlot(byte[]? data)
    {
        if (data is null || data.Length < 1 + Address.Size + 4 || data[0] != SlotTag) return null;
        var keyLength = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(1 + Address.Size));
        if (1 + Address.Size + 4 + keyLength > data.Length) return null;
        return (new Address(data.AsSpan(1, Address.Size)), data.AsSpan(1 + Address.Size + 4, keyLength).ToArray(),
            data[(1 + Address.Size + 4 + keyLength)..]);
    }

    public static string KeyText(byte[] key)
    {
        try { return new UTF8Encoding(false, true).GetString(key); }
        catch (DecoderFallbackException) { return "0x" + Convert.ToHexStringLower(key); }
    }
}
