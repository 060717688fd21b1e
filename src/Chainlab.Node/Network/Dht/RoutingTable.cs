using System.Net;
using Chainlab.Core.Crypto;

namespace Chainlab.Node.Network.Dht;

/// <summary>A node the DHT may ask: its identity key, its id (SHA-256 of the key) and where it listens.</summary>
public sealed record Contact(byte[] Key, Hash Id, IPEndPoint Endpoint)
{
    public static Contact Of(byte[] key, IPEndPoint endpoint) => new(key, Hash.Sha256(key), endpoint);
    public string Short => Convert.ToHexStringLower(Key)[..16];
}

/// <summary>
/// Kademlia's k-buckets: contacts sorted by how many leading bits their id shares with ours (bucket 0 is the
/// far half of the id space, bucket 255 the nearest). A full bucket keeps its old contacts (they have proven
/// they stay up) until one of them fails too often.
/// </summary>
public sealed class RoutingTable(Hash self, int k = 20)
{
    private readonly List<(Contact Contact, int Failures)>[] _buckets = Enumerable.Range(0, 256).Select(_ => new List<(Contact, int)>()).ToArray();
    private readonly object _gate = new();
    public const int MaxFailures = 3;

    public int K => k;

    public static Hash Distance(Hash a, Hash b)
    {
        Span<byte> x = stackalloc byte[32], y = stackalloc byte[32];
        a.WriteTo(x); b.WriteTo(y);
        for (var i = 0; i < 32; i++) x[i] ^= y[i];
        return new Hash(x);
    }

    /// <summary>Leading bits shared with our id (0..255), or -1 for our own id.</summary>
    private int Bucket(Hash id)
    {
        Span<byte> d = stackalloc byte[32];
        Distance(self, id).WriteTo(d);
        for (var i = 0; i < 32; i++)
            if (d[i] != 0) return i * 8 + System.Numerics.BitOperations.LeadingZeroCount((uint)d[i]) - 24;
        return -1;
    }

    /// <summary>Adds or refreshes a contact (a new address for a known key replaces the old one).</summary>
    public void Seen(Contact c)
    {
        var b = Bucket(c.Id);
        if (b < 0) return;
        lock (_gate)
        {
            var bucket = _buckets[b];
            var at = bucket.FindIndex(e => e.Contact.Id == c.Id);
            if (at >= 0) { bucket.RemoveAt(at); bucket.Add((c, 0)); return; }
            if (bucket.Count < k) { bucket.Add((c, 0)); return; }
            // Full: a contact that keeps failing makes room; otherwise the old ones stay.
            var worst = bucket.FindIndex(e => e.Failures >= MaxFailures);
            if (worst >= 0) { bucket.RemoveAt(worst); bucket.Add((c, 0)); }
        }
    }

    public void Failed(Hash id)
    {
        var b = Bucket(id);
        if (b < 0) return;
        lock (_gate)
        {
            var bucket = _buckets[b];
            var at = bucket.FindIndex(e => e.Contact.Id == id);
            if (at >= 0) bucket[at] = (bucket[at].Contact, bucket[at].Failures + 1);
        }
    }

    public void Remove(Hash id)
    {
        var b = Bucket(id);
        if (b < 0) return;
        lock (_gate) _buckets[b].RemoveAll(e => e.Contact.Id == id);
    }

    /// <summary>The known contacts closest to a target, nearest first.</summary>
    public List<Contact> Closest(Hash target, int count)
    {
        lock (_gate)
            return _buckets.SelectMany(b => b).Where(e => e.Failures < MaxFailures).Select(e => e.Contact)
                .OrderBy(c => Distance(c.Id, target)).Take(count).ToList();
    }

    public int Count { get { lock (_gate) return _buckets.Sum(b => b.Count); } }
}
