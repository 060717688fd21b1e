using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Chainlab.Core.Crypto;
using static Chainlab.Contracts.Lua.LuaApi;

namespace Chainlab.Contracts.Lua;

/// <summary>
/// Source compiled once per process into Lua bytecode, which every frame then loads. Frames never parse: every
/// node loads the same bytecode whether or not it compiled it a moment ago, so each frame's heap goes through the
/// same allocations (and so the same gas and garbage collection) everywhere. Only bytecode made here from
/// source text is ever loaded as binary; a deploy of binary is refused before it gets here.
/// </summary>
internal static unsafe class Compiled
{
    private const int MaxEntries = 512;
    private static readonly ConcurrentDictionary<Hash, (byte[]? Bytecode, string? Error)> Cache = new();

    // Stripped of debug information: smaller to load, and its errors are raised at the contract's level anyway.
    public static readonly byte[] Prelude = Compile(Lua.Prelude.Bytes, "=prelude", strip: true).Bytecode
        ?? throw new InvalidOperationException("the contract prelude does not compile");

    /// <summary>The bytecode of a contract's source, or the syntax error (with line) that stops it.</summary>
    public static (byte[]? Bytecode, string? Error) Contract(byte[] source)
    {
        var key = Hash.Sha256(source);
        if (Cache.TryGetValue(key, out var hit)) return hit;
        var result = Compile(source, "=contract", strip: false);
        if (Cache.Count >= MaxEntries) Cache.Clear();
        Cache[key] = result;
        return result;
    }

    private static (byte[]? Bytecode, string? Error) Compile(byte[] source, string name, bool strip)
    {
        var L = luaL_newstate();
        if (L == IntPtr.Zero) return (null, "the contract runtime could not start");
        try
        {
            var n = System.Text.Encoding.ASCII.GetBytes(name + "\0");
            var mode = "t\0"u8;
            int status;
            fixed (byte* c = source) fixed (byte* pn = n) fixed (byte* pm = mode)
                status = luaL_loadbufferx(L, c, (nuint)source.Length, pn, pm);
            if (status != LUA_OK)
            {
                var msg = lua_type(L, -1) == TSTRING ? System.Text.Encoding.UTF8.GetString(Bytes(L, -1)) : "the code does not compile";
                return (null, msg.Length > 400 ? msg[..400] + "…" : msg);
            }
            var output = new MemoryStream();
            var handle = GCHandle.Alloc(output);
            try { lua_dump(L, &Write, GCHandle.ToIntPtr(handle), strip ? 1 : 0); }
            finally { handle.Free(); }
            return (output.ToArray(), null);
        }
        finally { lua_close(L); }
    }

    [UnmanagedCallersOnly]
    private static int Write(IntPtr L, byte* p, nuint size, IntPtr ud)
    {
        ((MemoryStream)GCHandle.FromIntPtr(ud).Target!).Write(new ReadOnlySpan<byte>(p, checked((int)size)));
        return 0;
    }
}

/// <summary>The prelude's source, embedded in the assembly.</summary>
internal static class Prelude
{
    public static readonly byte[] Bytes = Load();

    private static byte[] Load()
    {
        using var s = typeof(Prelude).Assembly.GetManifestResourceStream("Chainlab.Contracts.Prelude.lua")
            ?? throw new InvalidOperationException("the contract prelude is missing from the assembly");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }
}
