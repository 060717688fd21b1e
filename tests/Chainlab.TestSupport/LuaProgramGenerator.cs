using System.Text;

namespace Chainlab.TestSupport;

/// <summary>
/// Random Lua contracts from a seed, for property tests of the VM's determinism: integer and float arithmetic,
/// string building and library calls, tables whose string keys are added and deleted (the pattern that split the
/// old sandbox), holes and lengths, sorting, pairs, closures, pcall and error. Every program defines main(), which
/// returns a summary string of everything it computed. Same seed, same program.
/// </summary>
public static class LuaProgramGenerator
{
    public static string Generate(int seed)
    {
        var g = new Gen(new Random(seed));
        return g.Program();
    }

    private sealed class Gen(Random rng)
    {
        private readonly StringBuilder _sb = new();
        private int _indent = 1;
        private int _loops;

        private string V() => "v" + rng.Next(1, 6);
        private int Small() => rng.Next(-20, 100);

        private string IntExpr(int depth = 0)
        {
            if (depth > 2 || rng.Next(3) == 0) return rng.Next(2) == 0 ? V() : Small().ToString();
            var a = IntExpr(depth + 1);
            var b = IntExpr(depth + 1);
            return rng.Next(9) switch
            {
                0 => $"({a} + {b})",
                1 => $"({a} - {b})",
                2 => $"({a} * {b})",
                3 => $"({a} // ({b} % 7 + 8))",
                4 => $"({a} % ({b} % 5 + 6))",
                5 => $"({a} & {b})",
                6 => $"({a} ~ {b})",
                7 => $"(#s + {a})",
                _ => $"(#arr + {b})",
            };
        }

        private void Line(string s) => _sb.Append(' ', _indent * 2).Append(s).Append('\n');

        private void Statement(int depth)
        {
            switch (rng.Next(depth > 1 ? 14 : 17))
            {
                case 0: case 1: Line($"{V()} = {IntExpr()}"); break;
                case 2: Line($"t[\"k\" .. ({IntExpr()}) % 40] = {IntExpr()}"); break;
                case 3: Line($"t[\"k\" .. ({IntExpr()}) % 40] = nil"); break;
                case 4: Line($"s = string.sub(s .. string.format(\"%d:%.3f;\", {IntExpr()}, {V()} / 7), -60)"); break;
                case 5: Line($"s = string.sub(s .. tostring({V()} / {rng.Next(1, 9)}) .. (\"ab\"):rep({rng.Next(0, 4)}), -60)"); break;
                case 6: Line($"arr[#arr + 1] = {IntExpr()}"); break;
                case 7: Line($"if #arr > 0 then table.remove(arr, {rng.Next(1, 4)} % #arr + 1) end"); break;
                case 8: Line("table.sort(arr)"); break;
                case 9: Line($"holes[{rng.Next(1, 12)}] = {(rng.Next(3) == 0 ? "nil" : IntExpr())}"); break;
                case 10: Line($"do local ok, e = pcall(function(x) if x % 2 == 0 then error(\"even \" .. x) end return x end, {IntExpr()}) s = string.sub(s .. tostring(ok) .. tostring(e), -60) end"); break;
                case 11: Line($"s = string.sub(s .. (string.gsub(\"{Word()}\", \"[aeiou]\", \"%0%0\")) .. string.upper(\"{Word()}\"), -60)"); break;
                case 12: Line($"{V()} = add(#holes, {IntExpr()})"); break;
                case 13: Line($"{V()} = math.max({IntExpr()}, {IntExpr()}) + (string.find(s, \"{(char)('a' + rng.Next(3))}\", 1, true) or 0)"); break;
                case 14:
                {
                    if (_loops > 6) break;
                    _loops++;
                    var n = rng.Next(1, 30);
                    Line($"for i{depth} = 1, {n} do");
                    _indent++;
                    var k = rng.Next(1, 4);
                    for (var i = 0; i < k; i++) Statement(depth + 1);
                    Line($"t[\"k\" .. i{depth}] = i{depth}; t[\"k\" .. (i{depth} - {rng.Next(1, 6)})] = nil");
                    _indent--;
                    Line("end");
                    break;
                }
                case 15:
                {
                    Line($"if {IntExpr()} > {IntExpr()} then");
                    _indent++;
                    Statement(depth + 1);
                    _indent--;
                    Line("else");
                    _indent++;
                    Statement(depth + 1);
                    _indent--;
                    Line("end");
                    break;
                }
                default:
                    Line("do local c = 0 for k, v in pairs(t) do c = c + v + #k end v5 = v5 + c end");
                    break;
            }
        }

        private string Word()
        {
            var n = rng.Next(1, 8);
            var sb = new StringBuilder();
            for (var i = 0; i < n; i++) sb.Append((char)('a' + rng.Next(26)));
            return sb.ToString();
        }

        public string Program()
        {
            _sb.Append("local function add(a, b) return a + b end\n");
            _sb.Append("function main()\n");
            Line($"local v1, v2, v3, v4, v5 = {Small()}, {Small()}, {Small()}, {Small()}, 0");
            Line("local t, arr, holes, s = {}, {}, {}, \"\"");
            var n = rng.Next(8, 30);
            for (var i = 0; i < n; i++) Statement(0);
            Line("local keys = 0 for k in pairs(t) do keys = keys + 1 end");
            Line("return table.concat({ v1, v2, v3, v4, v5, #arr, #holes, keys, table.concat(arr, \",\"), s }, \"|\")");
            _sb.Append("end\n");
            return _sb.ToString();
        }
    }
}
