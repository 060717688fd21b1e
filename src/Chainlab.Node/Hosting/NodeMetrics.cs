using Chainlab.Core.State;
using Chainlab.Node.Events;
using Prometheus;

namespace Chainlab.Node.Hosting;

/// <summary>
/// The node's Prometheus metrics (docs/metrics.md), in a registry of its own so that several nodes in one
/// process (tests, simulations) never mix their figures. Counters of things that happen come from the node's
/// events; levels (height, peers, mempool, store size) are read when Prometheus scrapes.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    private readonly IDisposable _subscription;

    public NodeMetrics(NodeCore node)
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var f = Metrics.WithCustomRegistry(Registry);

        var head = f.CreateGauge("chainlab_head_height", "Height of this node's head block.");
        var finalized = f.CreateGauge("chainlab_finalized_height", "Height of the last finalised checkpoint (chains with finality only; 0 before the first).");
        var best = f.CreateGauge("chainlab_peer_best_height", "Highest head height a connected peer reports (this node's own when higher).");
        var peers = f.CreateGauge("chainlab_peers", "Connected peers by direction.", "direction");
        var pool = f.CreateGauge("chainlab_mempool_transactions", "Transactions waiting in the mempool.");
        var poolBytes = f.CreateGauge("chainlab_mempool_bytes", "Canonical bytes of the transactions in the mempool.");
        var admitted = f.CreateCounter("chainlab_transactions_admitted_total", "Transactions the mempool accepted.");
        var rejected = f.CreateCounter("chainlab_transactions_rejected_total", "Transactions the mempool refused, by cause (the API problem type).", "reason");
        var produced = f.CreateCounter("chainlab_blocks_produced_total", "Blocks this node produced.");
        var imported = f.CreateCounter("chainlab_blocks_imported_total", "Blocks that joined this node's canonical chain (its own included).");
        var committed = f.CreateCounter("chainlab_transactions_committed_total", "Transactions in blocks that joined the canonical chain.");
        var reorgs = f.CreateCounter("chainlab_reorgs_total", "Reorganisations: the head moved to another branch.");
        var reorgDepth = f.CreateHistogram("chainlab_reorg_depth_blocks", "Blocks taken off the chain by each reorganisation.",
            new HistogramConfiguration { Buckets = [1, 2, 3, 5, 8, 13, 21, 50, 100] });
        var execute = f.CreateHistogram("chainlab_block_execute_seconds", "Time to check and execute a block on the head, before it is stored.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        var commit = f.CreateHistogram("chainlab_block_commit_seconds", "Time to store a block (one database transaction).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        var gossip = f.CreateCounter("chainlab_peer_messages_received_total", "Messages received from peers, by type.", "type");
        var bans = f.CreateCounter("chainlab_peer_bans_total", "Peers banned for breaking the protocol.");
        var sync = f.CreateGauge("chainlab_sync_progress_ratio", "Own height over the best height known (1 when caught up).");
        var store = f.CreateGauge("chainlab_store_bytes", "Size of the node's database files (SQLite; 0 on PostgreSQL and in memory).");
        var equivocations = f.CreateCounter("chainlab_equivocations_seen_total", "Producers seen signing two blocks for one slot.");
        var fileBytes = f.CreateGauge("chainlab_file_block_bytes", "Bytes of file blocks this node keeps (what the files quota counts).");
        var filesAdded = f.CreateCounter("chainlab_files_added_total", "Files added through the API (uploads and CAR imports).");
        var filesFetched = f.CreateCounter("chainlab_files_fetched_total", "Files fetched from other nodes, every block checked.");
        var filesCollected = f.CreateCounter("chainlab_files_collected_total", "Unanchored files removed when their time was up.");
        var dhtContacts = f.CreateGauge("chainlab_dht_contacts", "Contacts in the DHT's routing table.");
        var dhtRecords = f.CreateGauge("chainlab_dht_provider_record_keys", "File keys this node holds provider records for.");
        var blocksServed = f.CreateCounter("chainlab_file_blocks_served_total", "File blocks sent to peers that asked for them (this node as a provider).");

        _subscription = node.Events.Subscribe(e =>
        {
            switch (e)
            {
                case BlockConnected b:
                    imported.Inc();
                    committed.Inc(b.Block.Transactions.Count);
                    if (!double.IsNaN(b.ExecuteSeconds)) execute.Observe(b.ExecuteSeconds);
                    if (!double.IsNaN(b.CommitSeconds)) commit.Observe(b.CommitSeconds);
                    break;
                case Reorganised r:
                    reorgs.Inc();
                    reorgDepth.Observe(r.Depth);
                    break;
                case EquivocationSeen:
                    equivocations.Inc();
                    break;
            }
        });

        Registry.AddBeforeCollectCallback(() =>
        {
            var height = node.Chain.Head.Height;
            head.Set(height);
            if (node.Chain.FinalizedHeight is { } final) finalized.Set(final);
            var links = node.Network?.Peers ?? [];
            var top = Math.Max(height, links.Select(p => p.BestHeight).DefaultIfEmpty(0UL).Max());
            best.Set(top);
            sync.Set(top == 0 ? 1 : (double)height / top);
            peers.WithLabels("in").Set(links.Count(p => !p.Outbound));
            peers.WithLabels("out").Set(links.Count(p => p.Outbound));
            pool.Set(node.Pool.Count);
            poolBytes.Set(node.Pool.Bytes);
            foreach (var (outcome, n) in node.Pool.Outcomes)
            {
                if (outcome == TxError.None) admitted.IncTo(n);
                else if (n > 0) rejected.WithLabels(outcome.Slug()).IncTo(n);
            }
            produced.IncTo(node.Chain.ProducedBlocks);
            if (node.Network is { } net)
            {
                var stats = net.Stats.Peers;
                foreach (var (type, n) in stats.ReceivedByType)
                    if (n > 0) gossip.WithLabels(type.ToString()).IncTo(n);
                bans.IncTo(stats.Bans);
            }
            store.Set(StoreBytes(node.Options.DataDir));
            try { fileBytes.Set(node.Files.Store.FileBlockBytes()); }
            catch (Exception e) when (e is Storage.StoreException or System.Data.Common.DbException) { }
            var files = node.Files.Stats;
            filesAdded.IncTo(files.Added);
            filesFetched.IncTo(files.Fetched);
            filesCollected.IncTo(files.Collected);
            if (node.Network is { } dhtNet)
            {
                dhtContacts.Set(dhtNet.Dht.Table.Count);
                dhtRecords.Set(dhtNet.Dht.RecordKeys);
                blocksServed.IncTo(dhtNet.Dht.BlocksServed);
            }
        });
    }

    public CollectorRegistry Registry { get; }

    private static long StoreBytes(string dataDir)
    {
        try { return Directory.EnumerateFiles(dataDir, "chain.db*").Sum(f => new FileInfo(f).Length); }
        catch (IOException) { return 0; }
    }

    public void Dispose() => _subscription.Dispose();
}
