namespace Chainlab.Sim.Network;

/// <summary>A region of the modelled Internet: its share of the nodes and the bandwidth of a node there.</summary>
public sealed record Region(string Name, double Share, long UploadBitsPerSecond, long DownloadBitsPerSecond);

/// <summary>
/// The Internet as the simulator sees it: regions with a share of the nodes, a node's upload and download
/// bandwidth per region, and a one-way latency between every two regions. A message of S bytes sent from
/// region a to region b at time t on an idle link arrives at t + S·8 / min(upload(a), download(b)) + latency(a, b)
/// (optionally plus jitter); a busy link queues it behind what it is still sending (<see cref="LinkQueue"/>).
/// </summary>
/// <remarks>
/// The presets are the measurements SimBlock publishes for the Bitcoin network (Aoki et al., "SimBlock: A
/// Blockchain Network Simulator", IEEE INFOCOM workshops 2019; the figures in its NetworkConfiguration for 2015 and
/// 2019): six regions, their share of Bitcoin's reachable nodes, average latency between regions in milliseconds,
/// and a node's average upload and download bandwidth in each region.
/// </remarks>
public sealed class InternetModel
{
    private readonly long[,] _latencyMs;

    public InternetModel(string name, IReadOnlyList<Region> regions, long[,] latencyMs, double jitter = 0, double loss = 0)
    {
        if (regions.Count == 0) throw new ArgumentException("a model needs at least one region", nameof(regions));
        if (latencyMs.GetLength(0) != regions.Count || latencyMs.GetLength(1) != regions.Count)
            throw new ArgumentException($"the latency matrix must be {regions.Count} × {regions.Count}", nameof(latencyMs));
        if (regions.Any(r => r.UploadBitsPerSecond <= 0 || r.DownloadBitsPerSecond <= 0 || r.Share < 0))
            throw new ArgumentException("every region needs positive bandwidths and a share of at least 0", nameof(regions));
        if (jitter is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(jitter), "jitter is a fraction of the latency, 0..1");
        if (loss is < 0 or > 0.5) throw new ArgumentOutOfRangeException(nameof(loss), "loss is a chance per message, 0..0.5");
        Name = name;
        Loss = loss;
        Regions = regions;
        _latencyMs = latencyMs;
        Jitter = jitter;
    }

    public string Name { get; }
    public IReadOnlyList<Region> Regions { get; }
    /// <summary>Each delivery's latency varies by up to this fraction either way (0: none).</summary>
    public double Jitter { get; }
    /// <summary>
    /// The chance that a message's packets are lost on the way (0: never). Links are TCP streams, so a loss is not a
    /// missing message but a late one: the sender resends after its retransmission time-out (at least 200 ms, as
    /// Linux's, or twice the round trip), doubling it at each further loss, and everything behind it on that
    /// direction waits (head-of-line blocking).
    /// </summary>
    public double Loss { get; }

    /// <summary>The first retransmission time-out on a link between these regions: twice the round trip, at least 200 ms.</summary>
    public TimeSpan RetransmissionTimeout(int from, int to) => TimeSpan.FromMilliseconds(Math.Max(200, 2 * (_latencyMs[from, to] + _latencyMs[to, from])));

    public TimeSpan Latency(int from, int to) => TimeSpan.FromMilliseconds(_latencyMs[from, to]);

    /// <summary>How long S bytes take to leave the sender and reach the receiver's side at the slower of the two ends.</summary>
    public TimeSpan Transmission(long bytes, int from, int to)
    {
        var bps = Math.Min(Regions[from].UploadBitsPerSecond, Regions[to].DownloadBitsPerSecond);
        return TimeSpan.FromTicks((long)Math.Ceiling(bytes * 8.0 * TimeSpan.TicksPerSecond / bps));
    }

    /// <summary>The region of a new node, drawn by the regions' shares.</summary>
    public int DrawRegion(Random random)
    {
        var total = Regions.Sum(r => r.Share);
        var x = random.NextDouble() * total;
        for (var i = 0; i < Regions.Count; i++)
        {
            x -= Regions[i].Share;
            if (x < 0) return i;
        }
        return Regions.Count - 1;
    }

    /// <summary>One region with this latency between any two nodes and this bandwidth everywhere (for tests and what-ifs).</summary>
    public static InternetModel Uniform(TimeSpan latency, long bitsPerSecond) =>
        new("uniform", [new Region("everywhere", 1, bitsPerSecond, bitsPerSecond)], new[,] { { (long)latency.TotalMilliseconds } });

    private static readonly string[] SixRegions = ["north-america", "europe", "south-america", "asia-pacific", "japan", "australia"];

    /// <summary>SimBlock's Bitcoin 2019 figures.</summary>
    public static readonly InternetModel Bitcoin2019 = Preset("bitcoin-2019",
        [0.3316, 0.4998, 0.0090, 0.1177, 0.0224, 0.0195],
        [19_200_000, 20_700_000, 5_800_000, 15_700_000, 10_200_000, 11_300_000],
        [52_000_000, 40_000_000, 18_000_000, 22_800_000, 22_800_000, 29_900_000],
        new long[,]
        {
            { 32, 124, 184, 198, 151, 189 },
            { 124, 11, 227, 237, 252, 294 },
            { 184, 227, 88, 325, 301, 322 },
            { 198, 237, 325, 85, 58, 198 },
            { 151, 252, 301, 58, 12, 126 },
            { 189, 294, 322, 198, 126, 16 },
        });

    /// <summary>SimBlock's Bitcoin 2015 figures.</summary>
    public static readonly InternetModel Bitcoin2015 = Preset("bitcoin-2015",
        [0.3869, 0.5159, 0.0113, 0.0574, 0.0119, 0.0166],
        [4_700_000, 8_100_000, 1_800_000, 5_300_000, 3_400_000, 5_200_000],
        [25_000_000, 24_000_000, 6_500_000, 10_000_000, 17_500_000, 14_000_000],
        new long[,]
        {
            { 36, 119, 255, 310, 154, 208 },
            { 119, 12, 221, 242, 266, 350 },
            { 255, 221, 137, 347, 256, 269 },
            { 310, 242, 347, 99, 172, 278 },
            { 154, 266, 256, 172, 9, 163 },
            { 208, 350, 269, 278, 163, 22 },
        });

    /// <summary>The presets by name (what a scenario's `internet:` says).</summary>
    public static readonly IReadOnlyDictionary<string, InternetModel> Presets = new Dictionary<string, InternetModel>
    {
        [Bitcoin2019.Name] = Bitcoin2019,
        [Bitcoin2015.Name] = Bitcoin2015,
    };

    /// <summary>This model with jitter (a fraction of each latency, either way).</summary>
    public InternetModel WithJitter(double jitter) => new(Name, Regions, _latencyMs, jitter, Loss);

    /// <summary>This model with a chance of loss per message (<see cref="Loss"/>).</summary>
    public InternetModel WithLoss(double loss) => new(Name, Regions, _latencyMs, Jitter, loss);

    private static InternetModel Preset(string name, double[] share, long[] up, long[] down, long[,] latency) =>
        new(name, SixRegions.Select((r, i) => new Region(r, share[i], up[i], down[i])).ToList(), latency);
}

/// <summary>
/// One direction of one link: messages leave one after another at the link's bandwidth, then travel for the
/// latency. Deliveries never overtake each other (a stream keeps its order), jitter or not.
/// </summary>
public sealed class LinkQueue(InternetModel model, int from, int to, Random random)
{
    private DateTimeOffset _sendingUntil = DateTimeOffset.MinValue;
    private DateTimeOffset _lastDelivery = DateTimeOffset.MinValue;

    /// <summary>When a message of this many bytes, sent now, arrives.</summary>
    public DateTimeOffset Send(DateTimeOffset now, long bytes)
    {
        var start = now > _sendingUntil ? now : _sendingUntil;
        _sendingUntil = start + model.Transmission(bytes, from, to);
        var latency = model.Latency(from, to);
        if (model.Jitter > 0) latency += latency * (model.Jitter * (2 * random.NextDouble() - 1));
        var arrival = _sendingUntil + latency;
        // Lost: resent after the time-out, which doubles at each further loss (at most six tries are modelled).
        if (model.Loss > 0)
            for (var (rto, tries) = (model.RetransmissionTimeout(from, to), 0); tries < 6 && random.NextDouble() < model.Loss; rto += rto, tries++)
                arrival += rto;
        if (arrival < _lastDelivery) arrival = _lastDelivery;
        _lastDelivery = arrival;
        return arrival;
    }
}
