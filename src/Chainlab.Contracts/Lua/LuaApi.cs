using System.Runtime.InteropServices;

namespace Chainlab.Contracts.Lua;

/// <summary>
/// The few functions of the Lua 5.4 C API the sandbox uses, bound directly to the native library that the
/// KeraLua package ships (liblua54). Callbacks are unmanaged function pointers, so no delegate can be
/// collected while Lua holds it. None of these is called in a way that can raise a Lua error while a
/// .NET frame is on the native stack (see docs/decisions/0003-contract-sandbox.md).
/// </summary>
internal static unsafe partial class LuaApi
{
    private const string Lib = "lua54";

    public const int LUA_OK = 0, LUA_YIELD = 1, LUA_ERRRUN = 2, LUA_ERRSYNTAX = 3, LUA_ERRMEM = 4, LUA_ERRERR = 5;
    public const int TNIL = 0, TBOOLEAN = 1, TLIGHTUSERDATA = 2, TNUMBER = 3, TSTRING = 4, TTABLE = 5, TFUNCTION = 6, TUSERDATA = 7, TTHREAD = 8;
    public const int MASKCOUNT = 1 << 3;
    public const int REGISTRYINDEX = -1_000_000 - 1000;

    [LibraryImport(Lib)] public static partial IntPtr lua_newstate(delegate* unmanaged<IntPtr, IntPtr, nuint, nuint, IntPtr> f, IntPtr ud);
    [LibraryImport(Lib)] public static partial void lua_close(IntPtr L);
    [LibraryImport(Lib)] public static partial IntPtr luaL_newstate();
    [LibraryImport(Lib)] public static partial void lua_setallocf(IntPtr L, IntPtr f, IntPtr ud);
    [LibraryImport(Lib)] public static partial IntPtr lua_getallocf(IntPtr L, out IntPtr ud);
    [LibraryImport(Lib)] private static partial int lua_gc(IntPtr L, int what);

    /// <summary>Bytes the state has allocated, by Lua's own count (the same sizes it asks its allocator for).</summary>
    public static long AllocatedBytes(IntPtr L) => lua_gc(L, 3) * 1024L + lua_gc(L, 4);

    /// <summary>The C library's allocator that luaL_newstate installs (realloc/free).</summary>
    public static readonly IntPtr CAllocator = GetCAllocator();

    private static IntPtr GetCAllocator()
    {
        var L = luaL_newstate();
        try { return lua_getallocf(L, out _); }
        finally { lua_close(L); }
    }
    [LibraryImport(Lib)] public static partial int lua_dump(IntPtr L, delegate* unmanaged<IntPtr, byte*, nuint, IntPtr, int> writer, IntPtr data, int strip);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial void luaL_requiref(IntPtr L, string modname, IntPtr openf, int glb);

    private static readonly IntPtr Native = NativeLibrary.Load(Lib, typeof(LuaApi).Assembly, null);

    /// <summary>The standard libraries a sandbox needs (base, table, string, math, utf8), and no others.</summary>
    public static void OpenSandboxLibraries(IntPtr L)
    {
        foreach (var (name, open) in Libraries)
        {
            luaL_requiref(L, name, open, 1);
            lua_settop(L, -2);
        }
    }

    private static readonly (string Name, IntPtr Open)[] Libraries =
    [
        ("_G", NativeLibrary.GetExport(Native, "luaopen_base")),
        ("table", NativeLibrary.GetExport(Native, "luaopen_table")),
        ("string", NativeLibrary.GetExport(Native, "luaopen_string")),
        ("math", NativeLibrary.GetExport(Native, "luaopen_math")),
        ("utf8", NativeLibrary.GetExport(Native, "luaopen_utf8")),
    ];
    [LibraryImport(Lib)] public static partial void luaL_openlibs(IntPtr L);
    [LibraryImport(Lib)] public static partial IntPtr lua_newthread(IntPtr L);
    [LibraryImport(Lib)] public static partial int lua_resume(IntPtr L, IntPtr from, int nargs, out int nresults);
    [LibraryImport(Lib)] public static partial int lua_isyieldable(IntPtr L);
    [LibraryImport(Lib)] public static partial int lua_yieldk(IntPtr L, int nresults, IntPtr ctx, IntPtr k);
    [LibraryImport(Lib)] public static partial void lua_sethook(IntPtr L, delegate* unmanaged<IntPtr, IntPtr, void> f, int mask, int count);
    [LibraryImport(Lib)] public static partial int luaL_loadbufferx(IntPtr L, byte* buff, nuint size, byte* name, byte* mode);
    [LibraryImport(Lib)] public static partial IntPtr lua_setupvalue(IntPtr L, int funcindex, int n);
    [LibraryImport(Lib)] public static partial int lua_gettop(IntPtr L);
    [LibraryImport(Lib)] public static partial void lua_settop(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_checkstack(IntPtr L, int n);
    [LibraryImport(Lib)] public static partial void lua_xmove(IntPtr from, IntPtr to, int n);
    [LibraryImport(Lib)] public static partial int lua_absindex(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial void lua_pushvalue(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_type(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_isinteger(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial long lua_tointegerx(IntPtr L, int idx, out int isnum);
    [LibraryImport(Lib)] public static partial int lua_toboolean(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial byte* lua_tolstring(IntPtr L, int idx, out nuint len);
    [LibraryImport(Lib)] public static partial void lua_pushnil(IntPtr L);
    [LibraryImport(Lib)] public static partial void lua_pushinteger(IntPtr L, long n);
    [LibraryImport(Lib)] public static partial void lua_pushboolean(IntPtr L, int b);
    [LibraryImport(Lib)] public static partial IntPtr lua_pushlstring(IntPtr L, byte* s, nuint len);
    [LibraryImport(Lib)] public static partial void lua_pushcclosure(IntPtr L, delegate* unmanaged<IntPtr, int> fn, int n);
    [LibraryImport(Lib)] public static partial void lua_createtable(IntPtr L, int narr, int nrec);
    [LibraryImport(Lib)] public static partial void lua_rawset(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_rawget(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_next(IntPtr L, int idx);
    [LibraryImport(Lib)] public static partial int lua_rawequal(IntPtr L, int a, int b);
    [LibraryImport(Lib)] public static partial void lua_rawseti(IntPtr L, int idx, long n);
    [LibraryImport(Lib)] public static partial int lua_rawgeti(IntPtr L, int idx, long n);
    [LibraryImport(Lib)] public static partial int lua_pcallk(IntPtr L, int nargs, int nresults, int msgh, IntPtr ctx, IntPtr k);
    [LibraryImport(Lib)] public static partial double lua_tonumberx(IntPtr L, int idx, out int isnum);

    public static void Pop(IntPtr L, int n) => lua_settop(L, -n - 1);

    public static void PushBytes(IntPtr L, ReadOnlySpan<byte> s)
    {
        fixed (byte* p = s) lua_pushlstring(L, p, (nuint)s.Length);
    }

    public static void PushText(IntPtr L, string s) => PushBytes(L, System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>The bytes of a value that is a string (never converts numbers in place).</summary>
    public static ReadOnlySpan<byte> Bytes(IntPtr L, int idx)
    {
        var p = lua_tolstring(L, idx, out var len);
        return new ReadOnlySpan<byte>(p, checked((int)len));
    }

    /// <summary>t[key] = top of stack (popped), without metamethods.</summary>
    public static void SetField(IntPtr L, int table, string key)
    {
        table = lua_absindex(L, table);
        PushText(L, key);
        lua_rotate(L, -2, 1);
        lua_rawset(L, table);
    }

    [LibraryImport(Lib)] public static partial void lua_rotate(IntPtr L, int idx, int n);
}
