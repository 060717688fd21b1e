using Chainlab.Cli.Devnets;
using System.Diagnostics;
using System.Net.Http.Json;
using Chainlab.Cli.Commands;
using Chainlab.Cli.Processes;
using Chainlab.Core.Crypto;
using Chainlab.Core.Model;
using Chainlab.Core.Wallet;

namespace Chainlab.Cli.Scenarios;

/// <summary>
/// Runs a scenario on real node processes: a new devnet in its own folder, the load, the timed faults and
/// malicious nodes, a sample of every node twice a second, then the invariants after the settle time.
/// </summary>
public sealed class ScenarioRunner(Scenario scenario, string dir, string? postgres, TextWriter output)
{
    private readonly Stopwatch _clock = new();
    private int _loadErrors;

    /// <summary>Seconds since the run's clock started (after start-up).</summary>
    internal double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>
    /// A devnet started for a run: its supervisor and faults, and the observations the checks read. Disposing it
    /// stops every node.
    /// </summary>
    internal sealed class LiveDevnet(DevnetSupervisor supervisor, DevnetFaults faults, Observations observations, ChainSpec spec, string keys,
        Dictionary<int, HttpClient> probes) : IAsyncDisposable
    {
        public DevnetSupervisor Supervisor { get; } = supervisor;
        public DevnetFaults Faults { get; } = faults;
        public Observations Observations { get; } = observations;
        public ChainSpec Spec { get; } = spec;
        /// <summary>The folder of the devnet's keys (node keys, dev accounts, their password).</summary>
        public string Keys { get; } = keys;

        public async ValueTask DisposeAsync()
        {
            foreach (var p in probes.Values) p.Dispose();
            await Supervisor.DisposeAsync();
        }
    }

    /// <summary>
    /// Makes the scenario's devnet in a new folder (free ports unless given), starts every node, learns their ids
    /// and producer keys, and starts the clock once all answer.
    /// </summary>
    internal async Task<LiveDevnet> StartDevnetAsync(int? apiPort, int? p2pPort, CancellationToken ct)
    {
        var s = scenario;
        if (s.Network.Backend == "postgres" && postgres is null)
            throw new CliException($"scenario {s.Name} runs on PostgreSQL: give --db-postgres CONNECTION", ExitCodes.BadInput);
        Prepare();
        var keys = Path.Combine(dir, "keys");
        var spec = DevnetGenesis.Create(keys, s.BlockTimeMs, 4, s.Network.Consensus, s.Network.Nodes, s.Network.Authorities,
            hashRate: s.Network.HashPower is null ? null : DevnetSettings.HashBudget, finality: s.Network.Finality);
        File.WriteAllText(Path.Combine(dir, Chainlab.Node.Hosting.NodeCore.SpecFileName), spec.ToJson());
        var settings = new DevnetSettings
        {
            Nodes = s.Network.Nodes, Consensus = s.Network.Consensus, Authorities = s.Network.Authorities, HashPower = s.Network.HashPower, ApiPort = apiPort ?? LoopbackPort.FreeRange(s.Network.Nodes),
            P2PPort = p2pPort ?? LoopbackPort.FreeRange(s.Network.Nodes), Postgres = s.Network.Backend == "postgres" ? postgres : null,
        };
        settings.Save(dir);
        settings = settings with
        {
            Malicious = s.Malicious.ToDictionary(m => m.Node, m => (IReadOnlyList<string>)m.Behaviours),
            DisabledDefences = s.TestOnly?.DisableDefence ?? [],
        };
        var honest = Enumerable.Range(1, s.Network.Nodes).Where(n => !settings.Malicious.ContainsKey(n)).ToHashSet();
        output.WriteLine($"scenario {s.Name}: {s.Network.Nodes} {s.Network.Consensus} nodes" + (s.Network.Authorities > 1 ? $" ({s.Network.Authorities} authorities)" : "") + $", block time {s.Network.BlockTime}, {s.Load.Rate} tx/s for {s.Duration}, settle {s.Settle}; folder {dir}");

        var supervisor = new DevnetSupervisor(dir, settings);
        var probes = Enumerable.Range(1, s.Network.Nodes).ToDictionary(n => n, n => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{supervisor.ApiPort(n)}"), Timeout = TimeSpan.FromSeconds(2) });
        var o = new Observations(s, spec, honest, n => probes[n], supervisor.IsRunning);
        var live = new LiveDevnet(supervisor, new DevnetFaults(supervisor), o, spec, keys, probes);
        try
        {
            _clock.Start();
            await supervisor.StartAsync(ct);
            await live.Faults.LearnIdsAsync(ct);
            for (var n = 1; n <= s.Network.Nodes; n++)
            {
                o.Ids[n] = await supervisor.NodeIdAsync(n, ct);
                if (settings.KeyFile(dir, n) is { } kf) o.ProducerKeys[n] = Keystore.ReadPublic(File.ReadAllText(kf)).PublicKey;
            }
            // Nodes that start a second or two apart produce on their own until they link, and then the lighter
            // branches reorganise: that is the network forming, not the scenario. The run begins on one head.
            var formed = await OneHonestHeadAsync(o, TimeSpan.FromSeconds(60), ct);
            var startup = _clock.Elapsed;
            _clock.Restart();
            o.Note(0, $"{s.Network.Nodes} nodes up after {startup.TotalSeconds:0.0} s of start-up" + (formed ? ", the honest ones on one head" : ", the honest ones NOT on one head after 60 s") + (settings.Malicious.Count > 0 ? "; misbehaving: " + string.Join(", ", settings.Malicious.Select(m => $"node{m.Key} {string.Join('+', m.Value)}")) : "")
                + (settings.DisabledDefences.Count > 0 ? $"; TEST ONLY, defences off on honest nodes: {string.Join(", ", settings.DisabledDefences)}" : ""));
            return live;
        }
        catch
        {
            await live.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until every honest node answers with the same head above genesis, or the time is up (false).</summary>
    private static async Task<bool> OneHonestHeadAsync(Observations o, TimeSpan within, CancellationToken ct)
    {
        var until = DateTime.UtcNow + within;
        while (true)
        {
            var heads = new HashSet<string>();
            var answered = 0;
            foreach (var n in o.Honest)
                // Above genesis: every node "agrees" on genesis before any has made a block or linked.
                if (await o.GetAsync(n, "/api/v1/status", ct) is { } st && st["headHeight"]!.GetValue<ulong>() > 0) { answered++; heads.Add(st["headHash"]!.GetValue<string>()); }
            if (answered == o.Honest.Count && heads.Count == 1) return true;
            if (DateTime.UtcNow >= until) return false;
            await Task.Delay(250, ct);
        }
    }

    public async Task<ScenarioReport> RunAsync(CancellationToken ct)
    {
        var s = scenario;
        await using var live = await StartDevnetAsync(null, null, ct);
        var (supervisor, faults, o, spec, keys) = (live.Supervisor, live.Faults, live.Observations, live.Spec, live.Keys);
        var honest = o.Honest;
        var start = DateTimeOffset.UtcNow;
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var depth = s.Invariants.Where(i => i.Check == "no-lost-commits").Select(i => i.Depth).DefaultIfEmpty(2).Max();
        var sampler = Task.Run(() => SampleLoop(o, depth, stopSampling.Token), CancellationToken.None);
        var load = Task.Run(() => LoadLoop(o, spec, keys, supervisor, stopLoad.Token), CancellationToken.None);

        foreach (var f in s.Faults.OrderBy(f => Scenario.Span(f.At, "at")))
        {
            var wait = Scenario.Span(f.At, "at") - _clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            var command = Scenario.Command(f);
            MarkMisbehaving(s, o, command);
            try
            {
                var applied = await faults.ApplyAsync(command, ct);
                o.Note(Now, "fault: " + applied);
                output.WriteLine($"[{Now,5:0.0}s] fault: {applied}");
            }
            catch (CliException e)
            {
                o.Note(Now, $"fault FAILED: {command}: {e.Message}");
                output.WriteLine($"[{Now,5:0.0}s] fault failed: {command}: {e.Message}");
            }
        }
        var rest = s.DurationSpan - _clock.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest, ct);
        stopLoad.Cancel();
        await load;
        o.Note(Now, $"load stopped ({o.Sent.Count} sent); settling for {s.Settle}");
        await Task.Delay(s.SettleSpan, ct);
        stopSampling.Cancel();
        await sampler;
        o.Note(Now, "checks");

        foreach (var n in honest)
            if (supervisor.IsRunning(n) && !supervisor.IsPaused(n) && await o.GetAsync(n, "/api/v1/status", ct) is not null) o.LiveHonest.Add(n);
        var verdicts = new List<Verdict>();
        foreach (var inv in s.Invariants)
        {
            var v = await Checks.RunAsync(inv, o, ct);
            verdicts.Add(v);
            output.WriteLine($"{v.Outcome.ToUpperInvariant(),-13} {v.Check}: {v.Evidence}" + (v.Required && !v.Exercised ? " (the scenario requires it)" : ""));
        }
        return new ScenarioReport(s, start, _clock.Elapsed, verdicts, o.Timeline.ToList(), await Figures.MeasureAsync(o, ct));
    }

    /// <summary>
    /// A misbehave fault changes who is honest: the checks must count its nodes as malicious from now on (a
    /// double signer is one equivocation-slashed looks for), or as honest again when it takes no behaviours.
    /// </summary>
    internal static void MarkMisbehaving(Scenario s, Observations o, FaultCommand c)
    {
        if (c.Action != "misbehave") return;
        foreach (var n in c.Nodes ?? [])
        {
            s.Malicious.RemoveAll(m => m.Node == n);
            var misbehaves = c.Misbehave is { Count: > 0 };
            if (misbehaves) s.Malicious.Add(new Scenario.MaliciousPart { Node = n, Behaviours = c.Misbehave!.ToList() });
            o.SetHonest(n, !misbehaves);
        }
    }

    /// <summary>A new folder for the run; an old run's devnet folder is replaced, anything else is refused.</summary>
    private void Prepare()
    {
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            if (!DevnetSettings.IsDevnet(dir)) throw new CliException($"{dir} exists and is not a scenario's devnet folder; choose another --dir", ExitCodes.BadInput);
            if (DevnetControl.RunningPid(dir) is { } pid) throw new CliException($"a devnet is running in {dir} (pid {pid})", ExitCodes.BadInput);
            var old = DevnetSettings.Load(dir);
            if (old.Postgres is { } pg)
                for (var i = 1; i <= old.Nodes; i++) Chainlab.Node.Storage.Postgres.PostgresChainStore.DropSchema(Chainlab.Node.Storage.Postgres.PostgresChainStore.ForSchema(pg, old.NodeSchema(i)));
            Directory.Delete(dir, true);
        }
        Directory.CreateDirectory(dir);
    }

    /// <summary>Every node twice a second; pending transactions checked for commitment; a progress line every 2 s.</summary>
    internal async Task SampleLoop(Observations o, int depth, CancellationToken ct)
    {
        var nodes = o.Scenario.Network.Nodes;
        var turn = 0;
        var lastLine = -2.0;
        while (!ct.IsCancellationRequested)
        {
            var t = Now;
            var samples = await Task.WhenAll(Enumerable.Range(1, nodes).Select(async n =>
            {
                if (!o.Running(n)) return new NodeSample(n, false, 0, "", 0, 0, []);
                var st = await o.GetAsync(n, "/api/v1/status", ct);
                if (st is null) return new NodeSample(n, false, 0, "", 0, 0, []);
                var peers = st["peers"]!.AsArray().Select(p => p!["nodeId"]!.GetValue<string>()).ToList();
                return new NodeSample(n, true, st["headHeight"]!.GetValue<ulong>(), st["headHash"]!.GetValue<string>(),
                    st["forks"]!["reorgs"]!.GetValue<long>(), st["forks"]!["deepestReorg"]!.GetValue<ulong>(), peers,
                    st["finalizedHeight"]?.GetValue<ulong>() ?? 0);
            }));
            lock (o.Samples) o.Samples.Add(new Sample(Math.Round(t, 2), samples));
            // The block each honest node holds at the commit depth: it must never be replaced.
            foreach (var x in samples.Where(x => x.Up && o.Honest.Contains(x.Node) && x.Height > (ulong)depth))
                if ((await o.GetAsync(x.Node, $"/api/v1/blocks/{x.Height - (ulong)depth}", ct))?["header"]?["hash"]?.GetValue<string>() is { } deep)
                    o.DeepBlocks.TryAdd((x.Height - (ulong)depth, deep), (x.Node, t));
            // Finality: every new last final checkpoint of an honest node, with its hash.
            if (o.Scenario.Invariants.Any(i => Checks.Finality.Contains(i.Check)))
                foreach (var x in samples.Where(x => x.Up && o.Honest.Contains(x.Node) && x.Final > 0))
                {
                    FinalSeen? last;
                    lock (o.Finals) last = o.Finals.LastOrDefault(f => f.Node == x.Node);
                    if (last?.Height == x.Final) continue;
                    if ((await o.GetAsync(x.Node, "/api/v1/finality", ct))?["lastFinalized"] is { } lf)
                        lock (o.Finals) o.Finals.Add(new FinalSeen(Math.Round(t, 2), x.Node, lf["height"]!.GetValue<ulong>(), lf["hash"]!.GetValue<string>()));
                }
            if (o.Scenario.Invariants.Any(i => i.Check == "valid-seals"))
                foreach (var x in samples.Where(x => x.Up && o.Honest.Contains(x.Node) && x.Height > 0 && o.CheckedHeads.Add(x.Hash)))
                    if (await Checks.SealProblem(o, x.Node, x.Hash, ct) is { } why) o.BadHeads.Add($"node{x.Node} head {x.Height} {x.Hash[..16]} at {t:0.0} s: {why}");
            // Commitments: ask one live honest node (in turn) about up to 100 pending transactions.
            var live = samples.Where(x => x.Up && o.Honest.Contains(x.Node)).ToList();
            if (live.Count > 0)
            {
                var asked = live[turn++ % live.Count];
                List<SentTx> pending;
                lock (o.Sent) pending = o.Sent.Where(x => x.CommittedAt is null).Take(100).ToList();
                foreach (var tx in pending)
                {
                    if (ct.IsCancellationRequested) break;
                    var st = await o.GetAsync(asked.Node, $"/api/v1/transactions/{tx.Hash}", ct);
                    if (st?["status"]?.GetValue<string>() == "included" && st["blockHeight"]?.GetValue<ulong>() is { } h && h + (ulong)depth <= asked.Height)
                        (tx.CommittedAt, tx.Height, tx.ReportedBy) = (Now, h, asked.Node);
                }
            }
            if (t - lastLine >= 2)
            {
                lastLine = t;
                int sent, committed;
                lock (o.Sent) (sent, committed) = (o.Sent.Count, o.Sent.Count(x => x.CommittedAt is not null));
                var heights = string.Join(' ', samples.Select(x => x.Up ? x.Height.ToString() : "-"));
                output.WriteLine($"[{t,5:0.0}s] heights {heights} · sent {sent} · committed {committed}" + (Checks.Converged(o.Samples[^1], o) ? " · one head" : " · heads differ"));
            }
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Transfers among the dev accounts at the scenario's rate, each to the next live honest node in turn.</summary>
    internal async Task LoadLoop(Observations o, ChainSpec spec, string keys, DevnetSupervisor devnet, CancellationToken ct)
    {
        if (o.Scenario.Load.Rate <= 0) return;
        var senders = Directory.GetFiles(keys, "dev*.json").Order().Select(f => Keystore.Decrypt(File.ReadAllText(f), DevnetGenesis.DevPassword)).ToList();
        var nonces = new Dictionary<Address, ulong>();
        var honest = o.Honest.Order().ToList();
        var interval = TimeSpan.FromSeconds(1 / o.Scenario.Load.Rate);
        var due = _clock.Elapsed;
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            var key = senders[i % senders.Count];
            var to = senders[(i + 1) % senders.Count].Address;
            var targets = honest.Where(n => devnet.IsRunning(n) && !devnet.IsPaused(n)).ToList();
            if (targets.Count > 0)
            {
                var node = targets[i % targets.Count];
                if (!nonces.ContainsKey(key.Address))
                    nonces[key.Address] = (await o.GetAsync(node, $"/api/v1/accounts/{key.Address}", ct))?["nonce"]?.GetValue<ulong>() ?? 0;
                var tx = Transaction.Create(key, spec.ChainId, TxKind.Transfer, nonces[key.Address], spec.MinFee, to, 1);
                try
                {
                    using var res = await o.Api(node).PostAsJsonAsync("/api/v1/transactions", new { raw = Convert.ToHexStringLower(tx.Raw) }, ct);
                    if (res.IsSuccessStatusCode)
                    {
                        nonces[key.Address]++;
                        lock (o.Sent) o.Sent.Add(new SentTx(tx.Hash.ToString(), Now, node));
                    }
                    else
                    {
                        Interlocked.Increment(ref o.Rejected);
                        nonces.Remove(key.Address); // ask again: a node that missed blocks may see another nonce
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { if (ct.IsCancellationRequested) return; }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // The load must not stop quietly: say so in the report and go on.
                    if (Interlocked.Increment(ref _loadErrors) <= 3) o.Note(Now, $"load: a submission failed: {e.GetType().Name}: {e.Message}");
                }
            }
            due += interval;
            var wait = due - _clock.Elapsed;
            try { if (wait > TimeSpan.Zero) await Task.Delay(wait, ct); }
            catch (OperationCanceledException) { return; }
        }
    }
}
