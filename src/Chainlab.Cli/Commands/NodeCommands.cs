using Chainlab.Node.Hosting;
using System.CommandLine;
using Chainlab.Core.Model;
using Chainlab.Node.Mempool;
using Microsoft.Extensions.Logging;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab node run: one node process.</summary>
/// <remarks>The run command's options (<see cref="RunOptions"/>), their merge with the --config file into <see cref="NodeOptions"/>
/// (<see cref="ToNodeOptions"/> and the Parse… steps it calls, in the order the checks report), and the run itself (<see cref="RunAsync"/>).</remarks>
public static class NodeCommands
{
    public static Command Build() => new("node", "Run a node") { Run() };

    private static Command Run()
    {
        var o = new RunOptions();
        var run = new Command("run", "Run a node until Ctrl+C or SIGTERM");
        foreach (var option in o.InHelpOrder) run.Options.Add(option);
        run.SetAction((pr, ct) => RunAsync(pr, o, ct));
        return run;
    }

    /// <summary>node run's options. A setting given both as a flag and in the --config file takes the flag.</summary>
    private sealed class RunOptions
    {
        public readonly Option<string?> Config = new("--config") { Description = "JSON file with any of the settings below (flags win)" };
        public readonly Option<string?> Data = new("--data") { Description = "Data folder (chain spec copy, lock, SQLite database)" };
        public readonly Option<string?> Spec = new("--spec") { Description = "Chain spec JSON (needed on first start)" };
        public readonly Option<string?> Key = new("--key") { Description = "Key file of the producer/authority key (omit for a non-producing node)" };
        public readonly Option<string?> PasswordFile = new("--password-file") { Description = "Password for --key (else $CHAINLAB_PASSWORD)" };
        public readonly Option<int?> Port = new("--port") { Description = "API port (default 7700; 0 = pick a free one)" };
        public readonly Option<string?> Listen = new("--listen") { Description = "API listen address (default 127.0.0.1; a wider bind must be asked for)" };
        public readonly Option<string?> Db = new("--db") { Description = $"PostgreSQL connection string, e.g. \"Host=127.0.0.1;Database=chain;Username=me;Password=...\" (default: ${NodeConfigFile.DbEnvVar}, else SQLite in --data); prefer the variable or --config, which ps does not show" };
        public readonly Option<int?> Capacity = new("--mempool-capacity") { Description = $"Most pending transactions (default {new MempoolOptions().Capacity})" };
        public readonly Option<int?> PerSender = new("--per-sender-limit") { Description = $"Most pending transactions per sender; 1 = one pending per wallet (default {new MempoolOptions().PerSenderLimit})" };
        public readonly Option<string?> Level = new("--log-level") { Description = "Trace, Debug, Information (default), Warning, Error" };
        public readonly Option<string?> Format = new("--log-format") { Description = "text (default) or json: one object per line with timestamp, level, category, event id and message" };
        public readonly Option<string?> P2pListen = new("--p2p-listen") { Description = "Peer listen address (default 127.0.0.1); separate from --listen, so accepting remote peers never exposes the API" };
        public readonly Option<int?> P2pPort = new("--p2p-port") { Description = "Listen for peers on this TCP port (0 = any); without it or --bootstrap the node runs alone" };
        public readonly Option<string[]> Bootstrap = new("--bootstrap") { Description = "Peer to connect to, HOST:PORT (repeatable)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<bool> Mine = new("--mine") { Description = "Proof of work: mine with --key as the reward key" };
        public readonly Option<string?> Misbehave = new("--misbehave") { Description = $"Break the rules on purpose, for the adversary lab: NAME[,NAME] of {string.Join(", ", Chainlab.Node.Adversary.Misbehaviours.Names)} (docs/ATTACKS.md)" };
        public readonly Option<string?> MaxFile = new("--max-file-size") { Description = "Largest file one upload may bring (default 1GiB)" };
        public readonly Option<string?> FilesQuota = new("--files-quota") { Description = "Most bytes of files the node keeps (default 10GiB)" };
        public readonly Option<string?> FilesTtl = new("--files-ttl") { Description = "How long a file nobody anchored is kept after its last add (default 24h)" };
        public readonly Option<int> MineThreads = new("--mine-threads") { Description = "Proof of work: mining threads (default 1)", DefaultValueFactory = _ => 1 };
        public readonly Option<long?> MineRate = new("--mine-rate") { Description = "Proof of work: at most this many hashes per second, all threads together (default: as fast as the cores go); devnets set it to share the hash power as asked" };
        public readonly Option<string?> DevnetToken = new("--devnet-token-file") { Description = "Devnets only: serve the devnet control route (faults on this node's links and clock) to requests bearing the token in this file; the API must listen on loopback" };
        public readonly Option<string?> DevnetMembers = new("--devnet-members") { Description = "Devnets only (with --devnet-token-file): every node of the devnet as NAME=http://127.0.0.1:PORT,…, for the dashboard's network and adversary pages" };
        public readonly Option<string?> DevnetFaucetKey = new("--devnet-faucet-key") { Description = "Devnets only (with --devnet-token-file): the key file of the devnet's faucet account, unlocked with --password-file; the node then pays drips from it (POST /api/v1/faucet)" };
        public readonly Option<string?> DevnetControlUrl = new("--devnet-control-url") { Description = "Devnets only (with --devnet-token-file): the supervisor's control route, which the dashboard's adversary page reaches through this node" };
        public readonly Option<string[]> Disable = new("--test-only-disable-defence") { Description = $"Tests only: switch a defence off ({string.Join(", ", Defences.Names)}) to show the adversary lab's checks catch it", Hidden = true, AllowMultipleArgumentsPerToken = true };

        /// <summary>The options in the order node run --help lists them.</summary>
        public Option[] InHelpOrder =>
            [Disable, Config, Data, Spec, Key, PasswordFile, Port, Listen, Db, Capacity, PerSender, Level, Format, P2pListen, P2pPort, Bootstrap,
             Mine, MineThreads, MineRate, MaxFile, FilesQuota, FilesTtl, Misbehave, DevnetToken, DevnetMembers, DevnetControlUrl, DevnetFaucetKey];
    }

    private static async Task<int> RunAsync(ParseResult pr, RunOptions o, CancellationToken ct)
    {
        var file = pr.GetValue(o.Config) is { } cfgPath ? NodeConfigFile.Load(cfgPath) : new NodeConfigFile();
        var (options, p2pAt) = ToNodeOptions(pr, o, file);
        using var shutdown = new Shutdown(ct);
        await using var node = await NodeHost.StartAsync(options, shutdown.Token);
        if (options.JsonLogs)
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                Timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), LogLevel = "Information", Category = "Chainlab.Cli", EventId = 0,
                Message = "ready", Api = node.ApiUrl.ToString(), Store = node.Store.Describe,
                P2p = node.Network is { } jn ? $"{p2pAt}:{jn.Port}" : null, Node = node.Network?.NodeId,
            }));
        else Console.Out.WriteLine($"api {node.ApiUrl} store {node.Store.Describe}" + (node.Network is { } n ? $" p2p {p2pAt}:{n.Port} node {n.NodeId}" : ""));
        await shutdown.WaitAsync();
        return 0;
    }

    /// <summary>The flags merged with the --config file (flags win) and checked, in the order the errors are reported;
    /// unlocks the producer key. Also the peer listen address, for the ready line.</summary>
    private static (NodeOptions Options, string P2pListen) ToNodeOptions(ParseResult pr, RunOptions o, NodeConfigFile file)
    {
        var dataDir = pr.GetValue(o.Data) ?? file.Data ?? throw new CliException("--data (or \"data\" in --config) is required", ExitCodes.BadInput);
        var (apiPort, listenAt, p2pAt) = ParseAddresses(pr, o, file);
        var mempool = ParseMempool(pr, o, file);
        var (level, json) = ParseLogging(pr, o, file);
        var chainSpec = LoadSpec(pr.GetValue(o.Spec) ?? file.Spec);
        var peers = ParsePeers(pr, o, p2pAt);
        var keyPath = pr.GetValue(o.Key) ?? file.Key;
        var threads = pr.GetValue(o.MineThreads);
        if (pr.GetValue(o.MineRate) is < 1 or > 1_000_000_000_000) throw new CliException("--mine-rate must be 1..1,000,000,000,000 hashes per second", ExitCodes.BadInput);
        if (threads is < 1 or > 256) throw new CliException("--mine-threads must be 1..256", ExitCodes.BadInput);
        if (pr.GetValue(o.Mine) && keyPath is null) throw new CliException("--mine needs --key: the reward goes to that key's address", ExitCodes.BadInput);
        var fileLimits = ParseFileLimits(pr, o, file);
        var misbehaviours = ParseMisbehaviours(pr.GetValue(o.Misbehave));
        var producer = keyPath is not null ? KeyFiles.Unlock(keyPath, pr.GetValue(o.PasswordFile) ?? file.PasswordFile) : null;
        var control = ParseDevnetControl(pr, o, listenAt);
        var defences = ParseDefences(pr.GetValue(o.Disable));
        var options = new NodeOptions
        {
            DataDir = dataDir,
            Spec = chainSpec,
            ProducerKey = producer,
            ApiPort = apiPort,
            ListenAddress = listenAt,
            Postgres = pr.GetValue(o.Db) ?? file.Db ?? Environment.GetEnvironmentVariable(NodeConfigFile.DbEnvVar),
            Mempool = mempool,
            LogLevel = level,
            JsonLogs = json,
            ColorLogs = !Global.Plain(pr),
            Peers = peers,
            MineThreads = pr.GetValue(o.Mine) ? threads : 0,
            MineRate = pr.GetValue(o.MineRate) ?? 0,
            Files = fileLimits,
            Misbehave = misbehaviours,
            Defences = defences,
        };
        return (control is null ? options : options.ControlledBy(control), p2pAt);
    }

    /// <summary>--port, --listen and --p2p-listen (or the config file's), with their defaults.</summary>
    private static (int ApiPort, string Listen, string P2pListen) ParseAddresses(ParseResult pr, RunOptions o, NodeConfigFile file)
    {
        var apiPort = pr.GetValue(o.Port) ?? file.Port ?? 7700;
        var listenAt = pr.GetValue(o.Listen) ?? file.Listen ?? "127.0.0.1";
        if (apiPort is < 0 or > 65535) throw new CliException("--port must be 0..65535", ExitCodes.BadInput);
        if (!System.Net.IPAddress.TryParse(listenAt, out _)) throw new CliException("--listen must be an IP address", ExitCodes.BadInput);
        var p2pAt = pr.GetValue(o.P2pListen) ?? file.P2pListen ?? "127.0.0.1";
        if (!System.Net.IPAddress.TryParse(p2pAt, out _)) throw new CliException("--p2p-listen must be an IP address", ExitCodes.BadInput);
        return (apiPort, listenAt, p2pAt);
    }

    private static MempoolOptions ParseMempool(ParseResult pr, RunOptions o, NodeConfigFile file)
    {
        var cap = pr.GetValue(o.Capacity) ?? file.MempoolCapacity ?? new MempoolOptions().Capacity;
        var limit = pr.GetValue(o.PerSender) ?? file.PerSenderLimit ?? new MempoolOptions().PerSenderLimit;
        if (cap < 1 || limit < 1) throw new CliException("mempool limits must be at least 1", ExitCodes.BadInput);
        return new MempoolOptions { Capacity = cap, PerSenderLimit = limit };
    }

    /// <summary>--log-level and --log-format: the level, and whether log lines are JSON.</summary>
    private static (LogLevel Level, bool Json) ParseLogging(ParseResult pr, RunOptions o, NodeConfigFile file)
    {
        var levelText = pr.GetValue(o.Level) ?? file.LogLevel ?? "Information";
        if (!Enum.TryParse<LogLevel>(levelText, true, out var level)) throw new CliException($"unknown log level '{levelText}'", ExitCodes.BadInput);
        var formatText = pr.GetValue(o.Format) ?? file.LogFormat ?? "text";
        if (formatText is not ("text" or "json")) throw new CliException($"unknown log format '{formatText}' (text or json)", ExitCodes.BadInput);
        return (level, formatText == "json");
    }

    private static ChainSpec? LoadSpec(string? specPath)
    {
        if (specPath is null) return null;
        try { return ChainSpec.FromJson(File.ReadAllText(specPath)); }
        catch (FormatException e) { throw new CliException($"{specPath}: {e.Message}", ExitCodes.BadInput); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {specPath}: {e.Message}", ExitCodes.BadInput); }
    }

    /// <summary>--bootstrap and --p2p-port: the peer settings, or null for a node that runs alone.</summary>
    private static Chainlab.Node.Network.Peers.PeerOptions? ParsePeers(ParseResult pr, RunOptions o, string p2pAt)
    {
        var boot = new List<System.Net.IPEndPoint>();
        var bootHosts = new List<System.Net.DnsEndPoint>();
        foreach (var b in pr.GetValue(o.Bootstrap) ?? [])
        {
            if (System.Net.IPEndPoint.TryParse(b, out var ep) && ep.Port > 0) boot.Add(ep);
            else bootHosts.Add(ParseHostPort(b) ?? throw new CliException($"--bootstrap '{b}' is not HOST:PORT (an IP address or a host name, and a port 1..65535)", ExitCodes.BadInput));
        }
        var p2p = pr.GetValue(o.P2pPort);
        if (p2p is < 0 or > 65535) throw new CliException("--p2p-port must be 0..65535", ExitCodes.BadInput);
        return p2p is not null || boot.Count + bootHosts.Count > 0
            ? new Chainlab.Node.Network.Peers.PeerOptions { Port = p2p ?? 0, ListenAddress = p2pAt, Bootstrap = boot, BootstrapHosts = bootHosts }
            : null;
    }

    /// <summary>--max-file-size, --files-quota and --files-ttl over the file store's defaults.</summary>
    private static Chainlab.Node.Files.FileStoreOptions ParseFileLimits(ParseResult pr, RunOptions o, NodeConfigFile file)
    {
        var defaults = new Chainlab.Node.Files.FileStoreOptions();
        return defaults with
        {
            MaxFileBytes = (pr.GetValue(o.MaxFile) ?? file.MaxFileSize) is { } mf ? Global.ParseSize(mf, "--max-file-size") : defaults.MaxFileBytes,
            QuotaBytes = (pr.GetValue(o.FilesQuota) ?? file.FilesQuota) is { } fq ? Global.ParseSize(fq, "--files-quota") : defaults.QuotaBytes,
            UnanchoredTtl = (pr.GetValue(o.FilesTtl) ?? file.FilesTtl) is { } ft ? Global.ParseSpan(ft, "--files-ttl") : defaults.UnanchoredTtl,
        };
    }

    private static string[] ParseMisbehaviours(string? text)
    {
        var misbehaviours = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try { Chainlab.Node.Adversary.Misbehaviours.Parse(misbehaviours); }
        catch (ArgumentException e) { throw new CliException($"--misbehave: {e.Message}", ExitCodes.BadInput); }
        return misbehaviours;
    }

    /// <summary>--devnet-token-file, --devnet-members and --devnet-control-url: the devnet control route, or null outside a devnet.</summary>
    private static Chainlab.Node.Faults.DevnetControl? ParseDevnetControl(ParseResult pr, RunOptions o, string listenAt)
    {
        if (pr.GetValue(o.DevnetToken) is not { } tokenFile)
        {
            if (pr.GetValue(o.DevnetMembers) is not null || pr.GetValue(o.DevnetControlUrl) is not null || pr.GetValue(o.DevnetFaucetKey) is not null)
                throw new CliException("--devnet-members, --devnet-control-url and --devnet-faucet-key need --devnet-token-file", ExitCodes.BadInput);
            return null;
        }
        if (!System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(listenAt)))
            throw new CliException("--devnet-token-file: the devnet control route is served on a loopback API only", ExitCodes.BadInput);
        string token;
        try { token = File.ReadAllText(tokenFile).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {tokenFile}: {e.Message}", ExitCodes.BadInput); }
        if (token.Length < 32) throw new CliException($"{tokenFile}: the devnet token must be at least 32 characters", ExitCodes.BadInput);
        IReadOnlyList<Chainlab.Client.Models.DevnetMember> members;
        try { members = Chainlab.Node.Faults.DevnetControl.ParseMembers(pr.GetValue(o.DevnetMembers) ?? ""); }
        catch (ArgumentException e) { throw new CliException($"--devnet-members: {e.Message}", ExitCodes.BadInput); }
        var controlUrl = pr.GetValue(o.DevnetControlUrl);
        if (controlUrl is not null && !(Uri.TryCreate(controlUrl, UriKind.Absolute, out var cu) && cu.Scheme == "http" && cu.IsLoopback))
            throw new CliException($"--devnet-control-url: '{controlUrl}' is not a loopback http:// address", ExitCodes.BadInput);
        var faucet = pr.GetValue(o.DevnetFaucetKey) is { } faucetKey
            ? new Chainlab.Node.Faults.Faucet(KeyFiles.Unlock(faucetKey, pr.GetValue(o.PasswordFile)), TimeProvider.System) : null;
        return new Chainlab.Node.Faults.DevnetControl(token, TimeProvider.System, new Random()) { Members = members, ControlUrl = controlUrl, Faucet = faucet };
    }

    private static Defences ParseDefences(string[]? names)
    {
        try { return Defences.Without(names ?? []); }
        catch (ArgumentException e) { throw new CliException($"--test-only-disable-defence: {e.Message}", ExitCodes.BadInput); }
    }

    /// <summary>NAME:PORT with a DNS host name (letters, digits, hyphens and dots), as a container network names its services.</summary>
    public static System.Net.DnsEndPoint? ParseHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port) || port is < 1 or > 65535) return null;
        var host = text[..colon];
        if (host.Length > 253 || Uri.CheckHostName(host) != UriHostNameType.Dns) return null;
        return new System.Net.DnsEndPoint(host, port);
    }
}
