namespace Chainlab.Contracts;

/// <summary>
/// The costliest inputs known for every part of the VM: each library function with empty, huge and hostile
/// arguments, long-string comparisons and coercions, errors caught in loops, deep recursion and returns that
/// share subtables (the red team's inputs among them). Each defines main(). The tests check that each one's
/// library work per unit of gas stays under a bound; `chainlab bench contracts --worst-case` prints the wall
/// time per gas of each next to a plain arithmetic loop in the same run.
/// </summary>
public static class WorstCases
{
    /// <summary>The baseline: arithmetic and a table write in a loop.</summary>
    public const string Arithmetic = "function main() local s, t = 0, {} for i = 1, 1e9 do s = (s + i * 3) % 1000003; t[i % 64 + 1] = s end end";

    public static readonly IReadOnlyList<(string Name, string Code)> All =
    [
        ("string.rep of an empty string 2^62 times", "function main() for i = 1, 1e9 do string.rep('', 1 << 62) end end"),
        ("string.rep of empty strings with an empty separator", "function main() for i = 1, 1e9 do string.rep('', 1 << 62, '') end end"),
        ("string.rep to the memory cap", "function main() for i = 1, 1e9 do local s = string.rep('x', 1 << 20) end end"),
        ("string.rep with a huge count", "function main() return #string.rep('x', 1 << 40) end"),
        ("gsub with a thousand %0 in the replacement", "function main() local s = string.rep('a', 4000) local r = string.rep('%0', 1000) for i = 1, 1e9 do s:gsub('a', r, 3) end end"),
        ("gsub over a long subject", "function main() local s = string.rep('ab', 50000) for i = 1, 1e9 do s:gsub('b', 'c') end end"),
        ("gsub with a function replacement", "function main() local s = string.rep('ab', 5000) for i = 1, 1e9 do s:gsub('a', function(x) return x end) end end"),
        ("gmatch with an anchored pattern over a long string", "function main() local s = string.rep('a', 1000000) for i = 1, 1e9 do for m in s:gmatch('^b') do end end end"),
        ("gmatch over a long string", "function main() local s = string.rep('a ', 100000) for i = 1, 1e9 do for m in s:gmatch('%a+') do end end end"),
        ("find: a backtracking pattern bomb", "function main() return string.find(string.rep('a', 5000), string.rep('a*', 30) .. 'b') end"),
        ("find: a plain search that almost matches", "function main() local s, p = string.rep('a', 1000000), string.rep('a', 1000) .. 'b' for i = 1, 1e9 do s:find(p, 1, true) end end"),
        ("match: %b over unbalanced brackets", "function main() local s = string.rep('(', 100000) for i = 1, 1e9 do s:match('%b()') end end"),
        ("match: a back-reference", "function main() local s = string.rep('a', 100000) for i = 1, 1e9 do s:match('(a*)%1b') end end"),
        ("format with width and precision 99", "function main() for i = 1, 1e9 do string.format('%99.99f%99.99e%99.99g', 1e308, 1e-300, 1 / 3) end end"),
        ("format of long strings", "function main() local s = string.rep('x', 100000) for i = 1, 1e9 do string.format('%s%s', s, s) end end"),
        ("byte, char, upper, lower, reverse, sub of long strings", "function main() local s = string.rep('aB', 500000) for i = 1, 1e9 do s:upper() s:lower() s:reverse() s:sub(2, -2) string.char(s:byte(1, 7000)) end end"),
        ("tonumber of a long numeral", "function main() local s = string.rep('1', 1000000) for i = 1, 1e9 do tonumber(s) tonumber(s, 36) end end"),
        ("arithmetic on a long numeric string", "function main() local s = string.rep('1', 100000) for i = 1, 1e9 do local x = s + 1 end end"),
        ("comparing long equal strings", "function main() local a, b = string.rep('x', 1000000), string.rep('x', 999999) .. 'x' for i = 1, 1e9 do local c = a < b or a == b end end"),
        ("concatenating long strings", "function main() local a = string.rep('x', 100000) for i = 1, 1e9 do local c = a .. a end end"),
        ("tostring of floats", "function main() for i = 1, 1e9 do tostring(i / 7) end end"),
        ("table.move with float bounds", "function main() return table.move({}, 1, 2^53, 2) end"),
        ("table.move of a big table", "function main() local t = {} for i = 1, 100000 do t[i] = i end for i = 1, 1e9 do table.move(t, 1, #t, 2) end end"),
        ("table.concat of a big table", "function main() local t = {} for i = 1, 100000 do t[i] = 'abcdefgh' end for i = 1, 1e9 do table.concat(t, ',') end end"),
        ("table.insert and remove at the front of a big table", "function main() local t = {} for i = 1, 100000 do t[i] = i end for i = 1, 1e9 do table.insert(t, 1, i) table.remove(t, 1) end end"),
        ("table.sort with a comparator", "function main() for r = 1, 1e9 do local t = {} for i = 1, 5000 do t[i] = 5000 - i end table.sort(t, function(a, b) return a < b end) end end"),
        ("table.sort of strings", "function main() for r = 1, 1e9 do local t = {} for i = 1, 5000 do t[i] = string.rep('k', 50) .. (5000 - i) end table.sort(t) end end"),
        ("table.unpack of a huge range", "function main() return table.unpack({}, 1, 1e8) end"),
        ("select and varargs with many values", "function main() local t = {} for i = 1, 7000 do t[i] = i end for i = 1, 1e9 do select('#', table.unpack(t)) end end"),
        ("pairs over a big table", "function main() local t = {} for i = 1, 20000 do t['k' .. i] = i end for r = 1, 1e9 do for k, v in pairs(t) do end end end"),
        ("utf8 functions over long strings", "function main() local s = string.rep('é', 500000) for i = 1, 1e9 do utf8.len(s) utf8.codepoint(s, 1, 7000) utf8.offset(s, 400000) end end"),
        ("errors caught by pcall in a loop", "function main() for i = 1, 1e9 do pcall(error, 'x') end end"),
        ("errors with long messages", "function main() local m = string.rep('e', 100000) for i = 1, 1e9 do pcall(error, m) end end"),
        ("deep recursion", "local function r(n) return 1 + r(n + 1) end function main() return r(1) end"),
        ("recursion that stays just under the limit", "local function r(n) if n == 0 then return 0 end return 1 + r(n - 1) end function main() for i = 1, 1e9 do r(150) end end"),
        ("a returned table of shared subtables", "function main() local l = {} for i = 1, 1000 do l[i] = i end local m = {} for i = 1, 1000 do m[i] = l end local t = {} for i = 1, 1000 do t[i] = m end return t end"),
        ("sha256 of a long string", "function main() local s = string.rep('x', 1000000) for i = 1, 1e9 do chain.sha256(s) end end"),
        ("storage writes of large values", "function main() local v = string.rep('v', 16000) for i = 1, 1e9 do storage.set('k' .. (i % 10), v) end end"),
        ("closures made in a loop", "function main() for i = 1, 1e9 do local f = function() return i end end end"),
        ("errors unwinding nested blocks in nested calls", UnwindingNestedBlocks()),
    ];

    /// <summary>Ten functions, each 150 blocks deep, each calling the next; the innermost fails and pcall catches it.</summary>
    private static string UnwindingNestedBlocks()
    {
        var code = new System.Text.StringBuilder("local t\nlocal d0 = function() t.x = 1 end\n");
        for (var i = 1; i <= 10; i++)
        {
            code.Append("local d").Append(i).Append(" = function() ");
            for (var b = 0; b < 150; b++) code.Append("do ");
            code.Append('d').Append(i - 1).Append("() ");
            for (var b = 0; b < 150; b++) code.Append("end ");
            code.Append("end\n");
        }
        return code.Append("function main() for i = 1, 1e9 do pcall(d10) end end").ToString();
    }
}
