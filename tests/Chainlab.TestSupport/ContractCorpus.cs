namespace Chainlab.TestSupport;

/// <summary>
/// Contracts whose results must be identical on every node, process and run: the patterns that split or stalled
/// the old native-Lua sandbox (string keys deleted and re-added while the table rehashes, lengths of tables with
/// holes, many collections' worth of garbage), floats and their text, errors caught in loops, and the stops.
/// Each defines main().
/// </summary>
public static class ContractCorpus
{
    public static readonly IReadOnlyList<(string Name, string Code)> Programs =
    [
        ("key-deletion.lua", """
            function main()
              local t = {}
              for r = 1, 2000 do t["k" .. r] = r; t["k" .. (r - 5)] = nil end
              local n, sum = 0, 0
              for k, v in pairs(t) do n = n + 1; sum = sum + v end
              return n .. ":" .. sum
            end
            """),
        ("key-churn.lua", """
            function main()
              local t, out = {}, {}
              for r = 1, 3000 do
                t["x" .. (r * 7919 % 1000)] = r
                if r % 3 == 0 then t["x" .. (r * 104729 % 1000)] = nil end
              end
              for k, v in pairs(t) do out[#out + 1] = k .. "=" .. v end
              return #out .. " " .. string.sub(table.concat(out, ","), 1, 200)
            end
            """),
        ("holes.lua", """
            function main()
              local t = {}
              for i = 1, 100 do t[i] = i end
              for i = 1, 100, 3 do t[i] = nil end
              t[100] = nil; t[99] = nil
              local u = { 1, 2, nil, 4 }
              local v = {}
              v[1] = 1; v[2] = 2; v[4] = 4; v[3] = 3; v[6] = 6
              return #t .. " " .. #u .. " " .. #v
            end
            """),
        ("garbage.lua", """
            function main()
              local keep = {}
              for i = 1, 3000 do
                local tmp = { i, tostring(i), { i } }
                if i % 100 == 0 then keep[#keep + 1] = tmp[2] end
              end
              return table.concat(keep, ",")
            end
            """),
        ("floats.lua", """
            function main()
              local out = {}
              local x = 0.1
              for i = 1, 40 do x = x * 1.7 + 1 / i; out[#out + 1] = tostring(x) end
              out[#out + 1] = tostring(0/0) .. tostring(-(0/0)) .. tostring(1/0) .. tostring(2^53 + 1) .. tostring(-0.0)
              out[#out + 1] = string.format("%.17g %e %g %5.1f", 1/3, 12345.678, 1e-5, -2.25)
              out[#out + 1] = tostring(math.tointeger(3.0)) .. tostring(7 // 0.0) .. tostring(-7.5 % 2) .. tostring(2^63 == math.maxinteger + 1.0)
              return table.concat(out, " ")
            end
            """),
        ("errors.lua", """
            function main()
              local caught = 0
              for i = 1, 200 do
                local ok, e = pcall(function() local t = nil; return t[i] end)
                if not ok then caught = caught + #e end
              end
              local ok2, e2 = pcall(error, { code = 7 })
              return caught .. " " .. type(e2) .. " " .. e2.code
            end
            """),
        ("strings.lua", """
            function main()
              local s = string.rep("abc", 50, "-")
              local g, n = s:gsub("(b)(c)", "%2%1")
              local words = {}
              for w in ("the quick brown fox jumps"):gmatch("%a+") do words[#words + 1] = w:upper() end
              table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
              return string.format("%s|%d|%s|%5s", g:sub(1, 20), n, table.concat(words, " "), "x")
            end
            """),
        ("closures.lua", """
            local function make(n) local c = 0 return function() c = c + n return c end end
            function main()
              local fs = {}
              for i = 1, 10 do fs[i] = make(i) end
              local s = 0
              for r = 1, 5 do for i = 1, 10 do s = s + fs[i]() end end
              return s
            end
            """),
        ("out-of-gas.lua", "function main() local t, i = {}, 0 while true do i = i + 1; t[i % 100 + 1] = i end end"),
        ("out-of-memory.lua", "function main() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end end"),
        ("deep-recursion.lua", "local function r(n) return 1 + r(n + 1) end function main() return r(1) end"),
        ("pattern-bomb.lua", "function main() return string.find(string.rep('a', 5000), string.rep('a*', 30) .. 'b') end"),
        ("empty-rep.lua", "function main() return #string.rep('', 1 << 62) end"),
        ("dag-return.lua", """
            function main()
              local leaf = {}
              for i = 1, 1000 do leaf[i] = i end
              local mid = {}
              for i = 1, 1000 do mid[i] = leaf end
              local top = {}
              for i = 1, 1000 do top[i] = mid end
              return top
            end
            """),
        ("storage.lua", """
            function main()
              for i = 1, 50 do storage.set("k" .. i, { i, tostring(i), i % 2 == 0 }) end
              for i = 1, 50, 2 do storage.delete("k" .. i) end
              chain.emit("Done", storage.get("k10"))
              return storage.get("k50")
            end
            """),
    ];
}
