using Chainlab.Core.Crypto;

namespace Chainlab.Sim;

/// <summary>
/// What a run saw as it went, for the report: every block and when each node connected it, node 1's chain,
/// reorganisations, when each node's finalised height rose, and samples of the pools' sizes.
/// </summary>
public sealed class SimTrace(int nodes)
{
    public Dictionary<Hash, SimBlock> Blocks { get; } = new();
    /// <summary>Node 1's chain as it stands (connected and not disconnected since).</summary>
    public HashSet<Hash> Canonical { get; } = new();
    public long Reorganisations { get; set; }
    public ulong DeepestReorganisation { get; set; }
    /// <summary>Per node: when its last finalised checkpoint rose, and to which height (rising order).</summary>
    public List<(DateTimeOffset At, ulong Height)>[] Finalised { get; } = Enumerable.Range(0, nodes).Select(_ => new List<(DateTimeOffset, ulong)>()).ToArray();
    private long _poolSamples, _poolSum;

    /// <summary>The largest pool a node held at a sample, in transactions.</summary>
    public int PoolMax { get; private set; }
    /// <summary>The mean pool size over nodes and samples.</summary>
    public double PoolMean => _poolSamples == 0 ? 0 : (double)_poolSum / _poolSamples;

    public void SamplePool(int count)
    {
        _poolSamples++;
        _poolSum += count;
        PoolMax = Math.Max(PoolMax, count);
    }

    /// <summary>Eclipse: the largest share of the honest nodes' inbound links the attackers held at a sample, and the most honest nodes with no honest link at one sample.</summary>
    public double AttackerInboundPeak { get; private set; }
    public int EclipsedPeak { get; private set; }
    public int EclipseSamples { get; private set; }

    public void SampleEclipse((int Held, int Inbound, int Eclipsed) census)
    {
        var (held, inbound, eclipsed) = census;
        EclipseSamples++;
        if (inbound > 0) AttackerInboundPeak = Math.Max(AttackerInboundPeak, (double)held / inbound);
        EclipsedPeak = Math.Max(EclipsedPeak, eclipsed);
    }

    /// <summary>When every node had finalised a checkpoint at or above this height, or null if one never did.</summary>
    public DateTimeOffset? FinalEverywhere(ulong height)
    {
        var last = DateTimeOffset.MinValue;
        foreach (var node in Finalised)
        {
            var i = node.FindIndex(f => f.Height >= height);
            if (i < 0) return null;
            if (node[i].At > last) last = node[i].At;
        }
        return last;
    }
}

/// <summary>One block as the simulation saw it: when each node connected it.</summary>
public sealed class SimBlock(ulong height, DateTimeOffset first, int transactions, int bytes, bool bySelfishMiner = false)
{
    /// <summary>Mined by the scenario's selfish miner.</summary>
    public bool BySelfishMiner { get; } = bySelfishMiner;
    private readonly Dictionary<int, DateTimeOffset> _reached = new();
    public ulong Height { get; } = height;
    public DateTimeOffset First { get; } = first;
    public int Transactions { get; } = transactions;
    public int Bytes { get; } = bytes;
    public int NodesReached => _reached.Count;

    public void Reached(int node, DateTimeOffset at) => _reached.TryAdd(node, at);

    /// <summary>Milliseconds from the first node to each node it reached.</summary>
    public IEnumerable<double> Delays => _reached.Values.Select(t => (t - First).TotalMilliseconds);

    /// <summary>Milliseconds from the first node to the node that made the fraction complete, or null if it never did.</summary>
    public double? Until(double fraction, int nodes)
    {
        var need = (int)Math.Ceiling(fraction * nodes);
        if (_reached.Count < need) return null;
        return _reached.Values.Order().ElementAt(need - 1).Subtract(First).TotalMilliseconds;
    }
}
