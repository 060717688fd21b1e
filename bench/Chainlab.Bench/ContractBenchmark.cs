using Chainlab.Node.Hosting;
using System.Diagnostics;
using Chainlab.Contracts;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.State;
using Chainlab.Node;
using Microsoft.Extensions.Logging;

namespace Chainlab.Bench;

/// <summary>
/// chainlab bench contracts: metered VM instructions per second, the worst cases of every library function per unit of gas, token transfers through a contract
/// committed by one node, and memory per contract state. Measured, never asserted.
/// </summary>
public sealed class ContractBenchmark(TextWriter output)
{
    // Arithmetic, table writes and a function call per iteration: ordinary contract work without host calls.
    private const string Work = """
        local function step(s, i) return (s + i * 3) % 1000003 end
        function work(n)
          local s, t = 0, {}
          for i = 1, n do
            s = step(s, i)
            t[i % 64 + 1] = s
          end
          return s
        end
        """;

    /// <summary>Metered VM instructions per second on ordinary contract work (one run of the managed VM, gas and memory charged as it goes).</summary>
    public (double PerSecond, ulong Instructions, double NanosPerGas) Instructions(int iterations)
    {
        var limits = new ContractSpec { MaxGas = 4_000_000_000, MemoryBytes = 64 * 1024 * 1024 };
        var contract = ContractState.ContractAddress(Address.Zero, 0);
        var state = new StateOverlay(StateSnapshot.Empty);
        ContractState.Install(state, contract, System.Text.Encoding.UTF8.GetBytes(Work));
        var ex = new LuaExecution(limits, limits.MaxGas, Address.Zero, 1, 0, readOnly: true);
        var sw = Stopwatch.StartNew();
        var r = ex.Run(state, new ContractCall(contract, Address.Zero, 0, "work", [ContractValue.Of(iterations)]));
        var seconds = sw.Elapsed.TotalSeconds;
        if (!r.Ok) throw new InvalidOperationException("metered run failed: " + r.Error);
        return (ex.Instructions / seconds, ex.Instructions, seconds * 1e9 / ex.GasUsed);
    }

    /// <summary>Microseconds for a call that does nothing: a fresh sandboxed Lua state, the prelude and the contract loaded.</summary>
    public double FrameMicros(int calls)
    {
        var contract = ContractState.ContractAddress(Address.Zero, 0);
        var state = new StateOverlay(StateSnapshot.Empty);
        ContractState.Install(state, contract, "function noop() end"u8.ToArray());
        var spec = new ContractSpec();
        var call = new ContractCall(contract, Address.Zero, 0, "noop", []);
        new LuaExecution(spec, spec.MaxGas, Address.Zero, 1, 0, readOnly: true).Run(state, call);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++) new LuaExecution(spec, spec.MaxGas, Address.Zero, 1, 0, readOnly: true).Run(state, call);
        return sw.Elapsed.TotalMicroseconds / calls;
    }

    /// <summary>
    /// Token transfers (examples/contracts/token.lua) admitted through the node's one admission path and committed
    /// in blocks by a node on SQLite; returns transfers per second from the first admission to the last commit.
    /// </summary>
    public async Task<(double Tps, double AdmitSeconds, double CommitSeconds, double BytesPerHolder, long PeakLuaBytes)> TokenTransfers(
        string tokenSource, int transfers, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"chainlab-contract-bench-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        try
        {
            const ulong blockMs = 1000;
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var producer = KeyPair.FromRandom(new Random(21));
            var senders = Enumerable.Range(0, 4).Select(i => KeyPair.FromRandom(new Random(100 + i))).ToArray();
            var pub = Convert.ToHexStringLower(producer.PublicKey);
            var spec = new ChainSpec
            {
                ChainId = "contract-bench", GenesisTimeMs = now - now % blockMs - 100_000 * blockMs, BlockTimeMs = blockMs,
                Consensus = new ConsensusSpec { Engine = "poa", Authorities = [pub], Admin = pub },
                MaxBlockTransactions = 50_000,
                Alloc = senders.ToDictionary(k => k.Address.ToString(), _ => 1_000_000_000_000UL),
            };
            await using var node = await NodeHost.StartAsync(new NodeOptions
            {
                DataDir = dir, Spec = spec, LogLevel = LogLevel.Warning,
                Mempool = new Node.Mempool.MempoolOptions { PerSenderLimit = transfers + 10 },
            }, ct);
            ulong slot = 1;
            async Task Block()
            {
                var (b, r) = await node.Loop.Run(() => node.Chain.ProduceAt(spec.GenesisTimeMs + slot++ * blockMs, producer));
                if (b is null) throw new InvalidOperationException("no block: " + r.Reason);
            }
            void Admit(IEnumerable<Transaction> txs)
            {
                var results = node.Pool.Admit(txs.Select(t => t.Raw).ToList());
                if (results.FirstOrDefault(a => !a.Result.IsOk) is { Hash: not null } bad) throw new InvalidOperationException("refused: " + bad.Result.Detail);
            }
            const ulong gas = 200_000;
            var token = ContractState.ContractAddress(senders[0].Address, 0);
            var code = System.Text.Encoding.UTF8.GetBytes(tokenSource);
            Admit([Transaction.Create(senders[0], spec.ChainId, TxKind.Deploy, 0, 1_000_000, Address.Zero, 0,
                ContractPayload.Deploy(1_000_000, code, [ContractValue.Of("Bench"), ContractValue.Of("B"), ContractValue.Of(1L << 50)]))]);
            Admit(senders.Skip(1).Select((s, i) => Transaction.Create(senders[0], spec.ChainId, TxKind.Invoke, (ulong)i + 1, gas, token, 0,
                ContractPayload.Invoke(gas, "transfer", [ContractValue.Of(s.Address.ToString()), ContractValue.Of(1L << 40)]))));
            await Block();
            if (node.Pool.Count != 0) throw new InvalidOperationException("setup transactions were not all included");
            var sizeBefore = DbBytes(dir);
            var entriesBefore = node.Chain.Committed.State.All.Count();

            var nonces = senders.Select(s => node.Pool.NextNonce(s.Address)).ToArray();
            var recipients = Enumerable.Range(0, transfers).Select(i => Address.FromPublicKey(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))).ToArray();
            var txs = new List<Transaction>(transfers);
            for (var i = 0; i < transfers; i++)
            {
                var s = i % senders.Length;
                txs.Add(Transaction.Create(senders[s], spec.ChainId, TxKind.Invoke, nonces[s]++, gas, token, 0,
                    ContractPayload.Invoke(gas, "transfer", [ContractValue.Of(recipients[i].ToString()), ContractValue.Of(1)])));
            }
            var sw = Stopwatch.StartNew();
            foreach (var chunk in txs.Chunk(2000)) Admit(chunk);
            var admit = sw.Elapsed.TotalSeconds;
            while (node.Pool.Count > 0) await Block();
            var total = sw.Elapsed.TotalSeconds;

            // The VM's share: the same transfer run alone, many times, on the committed state.
            var vmWatch = Stopwatch.StartNew();
            const int vmRuns = 2000;
            for (var i = 0; i < vmRuns; i++)
                new LuaExecution(spec.Contracts, gas, senders[1].Address, 1, 0, readOnly: false).Run(new StateOverlay(node.Chain.Committed.State),
                    new ContractCall(token, senders[1].Address, 0, "transfer", [ContractValue.Of(recipients[i].ToString()), ContractValue.Of(1)]));
            output.WriteLine($"token: one transfer in the VM alone (state overlay, storage, event): {vmWatch.Elapsed.TotalMicroseconds / vmRuns:N1} µs");
            var holders = node.Chain.Committed.State.All.Count() - entriesBefore;
            var bytesPerHolder = (DbBytes(dir) - sizeBefore) / (double)Math.Max(1, holders);
            var probe = new LuaExecution(spec.Contracts, gas, senders[1].Address, 1, 0, readOnly: false);
            probe.Run(new StateOverlay(node.Chain.Committed.State),
                new ContractCall(token, senders[1].Address, 0, "transfer", [ContractValue.Of(recipients[0].ToString()), ContractValue.Of(1)]));
            output.WriteLine($"token: {transfers} transfers admitted in {admit:0.00} s, all committed after {total:0.00} s; {holders} new holders, {bytesPerHolder:N0} database bytes per holder; one transfer peaks at {probe.PeakMemory / 1024.0:N0} KiB of Lua memory and {probe.GasUsed:N0} gas");
            return (transfers / total, admit, total - admit, bytesPerHolder, probe.PeakMemory);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static long DbBytes(string dir) =>
        Directory.EnumerateFiles(dir, "chain.db*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}

/// <summary>
/// chainlab bench contracts --worst-case: wall time per unit of gas of every known worst case (Chainlab.Contracts.WorstCases)
/// next to a plain arithmetic loop measured in the same run. Medians of several runs; measured, never asserted.
/// </summary>
public static class WorstCaseBenchmark
{
    public sealed record Row(string Name, ulong Gas, string Outcome, double NanosPerGas, double Ratio);

    public static (double BaselineNanos, List<Row> Rows) Run(ulong gas, int runs, TextWriter output)
    {
        Measure(WorstCases.Arithmetic, gas); // warm-up: the first run also compiles the interpreter's hot paths
        var baseline = Median(runs, () => Measure(WorstCases.Arithmetic, gas).NanosPerGas);
        output.WriteLine($"baseline (arithmetic loop): {baseline:N2} ns per gas");
        var rows = new List<Row>();
        foreach (var (name, code) in WorstCases.All)
        {
            (ulong Gas, string Outcome, double NanosPerGas) last = default;
            var ns = Median(runs, () => (last = Measure(code, gas)).NanosPerGas);
            var row = new Row(name, last.Gas, last.Outcome ?? "", ns, ns / baseline);
            rows.Add(row);
            output.WriteLine($"{row.Ratio,7:0.00}x  {row.NanosPerGas,8:N2} ns/gas  {row.Gas,12:N0} gas  {row.Outcome,-14}  {name}");
        }
        // Compiling: every frame pays 5,000 + 1 gas per byte of source whether or not the tree is cached; a miss
        // (a contract this node has not run lately) compiles it. Each run gets new source, so each is a miss.
        var compile = Median(runs, () => CompileNanosPerGas(CompileHeavySource()));
        rows.Add(new Row("compiling 48 KB of nested functions, names and calls (a cache miss)", 0, "compiled", compile, compile / baseline));
        output.WriteLine($"{compile / baseline,7:0.00}x  {compile,8:N2} ns/gas  {"",12}  {"compiled",-14}  compiling 48 KB of nested functions, names and calls (a cache miss)");
        var worst = rows.MaxBy(r => r.Ratio)!;
        output.WriteLine($"largest ratio: {worst.Ratio:0.00}x ({worst.Name})");
        return (baseline, rows);
    }

    private static int _compiles;

    /// <summary>A contract near the size limit that is dear to compile: many locals, nested functions that capture them, many calls.</summary>
    private static string CompileHeavySource()
    {
        var sb = new System.Text.StringBuilder($"-- run {Interlocked.Increment(ref _compiles)} {Environment.TickCount64}\n");
        var names = Enumerable.Range(0, 100).Select(i => $"n{i}").ToList();
        sb.Append("local ").Append(string.Join(",", names)).Append('\n');
        for (var i = 0; i < 60; i++) sb.Append($"local function f{i}()\n");
        sb.Append("local s = ").Append(string.Join("+", names.Take(60).Select(n => $"({n} or 0)"))).Append('\n');
        while (sb.Length < 47_000) sb.Append("zzz(a.b[c], d:e(f), { g, h = i }) ");
        sb.Append('\n');
        for (var i = 0; i < 60; i++) sb.Append("end\n");
        sb.Append("function main() return 1 end\n");
        return sb.ToString();
    }

    private static double CompileNanosPerGas(string source)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(source);
        var sw = Stopwatch.StartNew();
        var compiled = Chainlab.Contracts.Vm.Interpreter.Compile(bytes);
        var elapsed = sw.Elapsed.TotalNanoseconds;
        if (compiled.Error is { } e) throw new InvalidOperationException("the compile benchmark's source does not compile: " + e);
        return elapsed / ((double)Gas.Frame + bytes.Length * Gas.CodePerByte);
    }

    private static double Median(int runs, Func<double> f)
    {
        var xs = Enumerable.Range(0, runs).Select(_ => f()).OrderBy(x => x).ToList();
        return xs[xs.Count / 2];
    }

    private static (ulong Gas, string Outcome, double NanosPerGas) Measure(string code, ulong gas)
    {
        var spec = new ContractSpec { MaxGas = gas };
        var contract = ContractState.ContractAddress(Address.Zero, 0);
        var state = new StateOverlay(StateSnapshot.Empty);
        ContractState.Install(state, contract, System.Text.Encoding.UTF8.GetBytes(code));
        var ex = new LuaExecution(spec, gas, Address.Zero, 1, 0, readOnly: false);
        var sw = Stopwatch.StartNew();
        var r = ex.Run(state, new ContractCall(contract, Address.Zero, 0, "main", []));
        var elapsed = sw.Elapsed.TotalNanoseconds;
        var outcome = r.Ok ? "returned" : r.Error!.StartsWith("out of gas") ? "out of gas" : r.Error.StartsWith("out of memory") ? "out of memory" : "error";
        return (ex.GasUsed, outcome, elapsed / Math.Max(1, ex.GasUsed));
    }
}
