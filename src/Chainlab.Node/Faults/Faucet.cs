using System.Net;
using Chainlab.Core.Crypto;

namespace Chainlab.Node.Faults;

/// <summary>How much the faucet gives and how often.</summary>
/// <param name="Amount">Base units per drip.</param>
/// <param name="PerAddress">One drip to an address per this much time.</param>
/// <param name="PerClient">Drips one client (by IP address) may ask for per ClientWindow.</param>
/// <param name="ClientWindow">The window PerClient counts in.</param>
public sealed record FaucetLimits(ulong Amount, TimeSpan PerAddress, int PerClient, TimeSpan ClientWindow)
{
    public static readonly FaucetLimits Default = new(1_000_000_000, TimeSpan.FromMinutes(1), 10, TimeSpan.FromHours(1));
}

/// <summary>
/// A devnet's faucet: a funded dev account whose key the devnet gave this node, paying a fixed amount to whoever
/// asks, at most once a minute to one address and ten times an hour to one client. Only a node under a devnet's
/// control has one (DevnetControl.Faucet); the route answers 404 everywhere else.
/// </summary>
public sealed class Faucet(KeyPair key, TimeProvider time, FaucetLimits? limits = null)
{
    private readonly object _gate = new();
    private readonly Dictionary<Address, DateTimeOffset> _lastDrip = new();
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _byClient = new();

    /// <summary>The chain id every devnet has: a faucet pays only on such a chain (403 elsewhere).</summary>
    public const string DevnetChainId = "chainlab-devnet";

    public KeyPair Key { get; } = key;
    /// <summary>Held while a drip picks its nonce and enters the mempool, so two drips never take one nonce.</summary>
    public object SendGate { get; } = new();
    public FaucetLimits Limits { get; } = limits ?? FaucetLimits.Default;

    /// <summary>Takes one drip for this address and client, or says why not and when to come back.</summary>
    public (bool Ok, string? Refusal, TimeSpan RetryAfter) TryTake(Address to, IPAddress? client)
    {
        var now = time.GetUtcNow();
        var ip = client ?? IPAddress.None;
        lock (_gate)
        {
            if (_lastDrip.TryGetValue(to, out var last) && now - last < Limits.PerAddress)
                return (false, $"{to} got coins from this faucet {(now - last).TotalSeconds:0} s ago; one drip per address every {Limits.PerAddress.TotalSeconds:0} s", Limits.PerAddress - (now - last));
            var times = _byClient.TryGetValue(ip, out var q) ? q : _byClient[ip] = new Queue<DateTimeOffset>();
            while (times.Count > 0 && now - times.Peek() >= Limits.ClientWindow) times.Dequeue();
            if (times.Count >= Limits.PerClient)
                return (false, $"this client has had {Limits.PerClient} drips in the last {Limits.ClientWindow.TotalMinutes:0} min, the most it may", Limits.ClientWindow - (now - times.Peek()));
            times.Enqueue(now);
            _lastDrip[to] = now;
            return (true, null, TimeSpan.Zero);
        }
    }

    /// <summary>Gives a drip back when it could not be paid (the faucet is empty, the node refused the transfer).</summary>
    public void GiveBack(Address to, IPAddress? client)
    {
        lock (_gate)
        {
            _lastDrip.Remove(to);
            if (_byClient.TryGetValue(client ?? IPAddress.None, out var times) && times.Count > 0)
                _byClient[client ?? IPAddress.None] = new Queue<DateTimeOffset>(times.Take(times.Count - 1));
        }
    }
}
