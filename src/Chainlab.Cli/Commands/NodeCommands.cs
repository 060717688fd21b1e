using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;
using Chainlab.Core.Model;
using Chainlab.Node;
using Chainlab.Node.Mempool;
using Microsoft.Extensions.Logging;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab node run: one node process.</summary>
public static class NodeCommands
{
    /// <summary>The environment variable holding the PostgreSQL connection string (the devnet passes it this way).</summary>

    public static Command Build()
    {
        var cmd = new Command("node", "Run a node");
        var config = new Option<string?>("--config") { Description = "JSON file with any of the settings below (flags win)" };
        var data = new Option<string?>("--data") { Description = "Data folder (chain spec copy, lock, SQLite database)" };
        var spec = new Option<string?>("--spec") { Description = "Chain spec JSON (needed on first start)" };
        var key = new Option<string?>("--key") { Description = "Key file of the producer/authority key (omit for a non-producing node)" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Password for --key (else $CHAINLAB_PASSWORD)" };
        var port = new Option<int?>("--port") { Description = "API port (default 7700; 0 = pick a free one)" };
        var listen = new Option<string?>("--listen") { Description = "API listen address (default 127.0.0.1; a wider bind must be asked for)" };
        var db = new Option<string?>("--db") { Description = $"PostgreSQL connection string, e.g. \"Host=127.0.0.1;Database=chain;Username=me;Password=...\" (default: ${NodeConfigFile.DbEnvVar}, else SQLite in --data); prefer the variable or --config, which ps does not show" };
        var capacity = new Option<int?>("--mempool-capacity") { Description = $"Most pending transactions (default {new MempoolOptions().Capacity})" };
        var perSender = new Option<int?>("--per-sender-limit") { Description = $"Most pending transactions per sender; 1 = one pending per wallet (default {new MempoolOptions().PerSenderLimit})" };
        var logLevel = new Option<string?>("--log-level") { Description = "Trace, Debug, Information (default), Warning, Error" };
        var logFormat = new Option<string?>("--log-format") { Description = "text (default) or json: one object per line with timestamp, level, category, event id and message" };
        var p2pListen = new Option<string?>("--p2p-listen") { Description = "Peer listen address (default 127.0.0.1); separate from --listen, so accepting remote peers never exposes the API" };
        var p2pPort = new Option<int?>("--p2p-port") { Description = "Listen for peers on this TCP port (0 = any); without it or --bootstrap the node runs alone" };
        var bootstrap = new Option<string[]>("--bootstrap") { Description = "Peer to connect to, HOST:PORT (repeatable)", AllowMultipleArgumentsPerToken = true };
        var mine = new Option<bool>("--mine") { Description = "Proof of work: mine with --key as the reward key" };
        var misbehave = new Option<string?>("--misbehave") { Description = $"Break the rules on purpose, for the adversary lab: NAME[,NAME] of {string.Join(", ", Chainlab.Node.Adversary.Misbehaviours.Names)} (docs/ATTACKS.md)" };
        var maxFile = new Option<string?>("--max-file-size") { Description = "Largest file one upload may bring (default 1GiB)" };
        var filesQuota = new Option<string?>("--files-quota") { Description = "Most bytes of files the node keeps (default 10GiB)" };
        var filesTtl = new Option<string?>("--files-ttl") { Description = "How long a file nobody anchored is kept after its last add (default 24h)" };
        var mineThreads = new Option<int>("--mine-threads") { Description = "Proof of work: mining threads (default 1)", DefaultValueFactory = _ => 1 };
        var devnetToken = new Option<string?>("--devnet-token-file") { Description = "Devnets only: serve the devnet control route (faults on this node's links and clock) to requests bearing the token in this file; the API must listen on loopback" };
        var devnetMembers = new Option<string?>("--devnet-members") { Description = "Devnets only (with --devnet-token-file): every node of the devnet as NAME=http://127.0.0.1:PORT,…, for the dashboard's network and adversary pages" };
        var devnetControlUrl = new Option<string?>("--devnet-control-url") { Description = "Devnets only (with --devnet-token-file): the supervisor's control route, which the dashboard's adversary page reaches through this node" };
        var disable = new Option<string[]>("--test-only-disable-defence") { Description = $"Tests only: switch a defence off ({string.Join(", ", Defences.Names)}) to show the adversary lab's checks catch it", Hidden = true, AllowMultipleArgumentsPerToken = true };
        var run = new Command("run", "Run a node until Ctrl+C or SIGTERM") { disable, config, data, spec, key, passwordFile, port, listen, db, capacity, perSender, logLevel, logFormat, p2pListen, p2pPort, bootstrap, mine, mineThreads, maxFile, filesQuota, filesTtl, misbehave, devnetToken, devnetMembers, devnetControlUrl };
        run.SetAction(async (pr, ct) =>
        {
            var file = pr.GetValue(config) is { } cfgPath ? NodeConfigFile.Load(cfgPath) : new NodeConfigFile();
            var dataDir = pr.GetValue(data) ?? file.Data ?? throw new CliException("--data (or \"data\" in --config) is required", ExitCodes.BadInput);
            var apiPort = pr.GetValue(port) ?? file.Port ?? 7700;
            var listenAt = pr.GetValue(listen) ?? file.Listen ?? "127.0.0.1";
            var cap = pr.GetValue(capacity) ?? file.MempoolCapacity ?? new MempoolOptions().Capacity;
            var limit = pr.GetValue(perSender) ?? file.PerSenderLimit ?? new MempoolOptions().PerSenderLimit;
            var levelText = pr.GetValue(logLevel) ?? file.LogLevel ?? "Information";
            if (apiPort is < 0 or > 65535) throw new CliException("--port must be 0..65535", ExitCodes.BadInput);
            if (!System.Net.IPAddress.TryParse(listenAt, out _)) throw new CliException("--listen must be an IP address", ExitCodes.BadInput);
            var p2pAt = pr.GetValue(p2pListen) ?? file.P2pListen ?? "127.0.0.1";
            if (!System.Net.IPAddress.TryParse(p2pAt, out _)) throw new CliException("--p2p-listen must be an IP address", ExitCodes.BadInput);
            if (cap < 1 || limit < 1) throw new CliException("mempool limits must be at least 1", ExitCodes.BadInput);
            if (!Enum.TryParse<LogLevel>(levelText, true, out var level)) throw new CliException($"unknown log level '{levelText}'", ExitCodes.BadInput);
            var formatText = pr.GetValue(logFormat) ?? file.LogFormat ?? "text";
            if (formatText is not ("text" or "json")) throw new CliException($"unknown log format '{formatText}' (text or json)", ExitCodes.BadInput);
            ChainSpec? chainSpec = null;
            if ((pr.GetValue(spec) ?? file.Spec) is { } specPath)
            {
                try { chainSpec = ChainSpec.FromJson(File.ReadAllText(specPath)); }
                catch (FormatException e) { throw new CliException($"{specPath}: {e.Message}", ExitCodes.BadInput); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {specPath}: {e.Message}", ExitCodes.BadInput); }
            }
            var boot = new List<System.Net.IPEndPoint>();
            var bootHosts = new List<System.Net.DnsEndPoint>();
            foreach (var b in pr.GetValue(bootstrap) ?? [])
            {
                if (System.Net.IPEndPoint.TryParse(b, out var ep) && ep.Port > 0) boot.Add(ep);
                else bootHosts.Add(ParseHostPort(b) ?? throw new CliException($"--bootstrap '{b}' is not HOST:PORT (an IP address or a host name, and a port 1..65535)", ExitCodes.BadInput));
            }
            var p2p = pr.GetValue(p2pPort);
            if (p2p is < 0 or > 65535) throw new CliException("--p2p-port must be 0..65535", ExitCodes.BadInput);
            var peers = p2p is not null || boot.Count + bootHosts.Count > 0
                ? new Chainlab.Node.Network.Peers.PeerOptions { Port = p2p ?? 0, ListenAddress = p2pAt, Bootstrap = boot, BootstrapHosts = bootHosts }
                : null;
            var keyPath = pr.GetValue(key) ?? file.Key;
            var threads = pr.GetValue(mineThreads);
            if (threads is < 1 or > 256) throw new CliException("--mine-threads must be 1..256", ExitCodes.BadInput);
            if (pr.GetValue(mine) && keyPath is null) throw new CliException("--mine needs --key: the reward goes to that key's address", ExitCodes.BadInput);
            var defaults = new Chainlab.Node.Files.FileStoreOptions();
            var fileLimits = defaults with
            {
                MaxFileBytes = (pr.GetValue(maxFile) ?? file.MaxFileSize) is { } mf ? Global.ParseSize(mf, "--max-file-size") : defaults.MaxFileBytes,
                QuotaBytes = (pr.GetValue(filesQuota) ?? file.FilesQuota) is { } fq ? Global.ParseSize(fq, "--files-quota") : defaults.QuotaBytes,
                UnanchoredTtl = (pr.GetValue(filesTtl) ?? file.FilesTtl) is { } ft ? Global.ParseSpan(ft, "--files-ttl") : defaults.UnanchoredTtl,
            };
            var misbehaviours = (pr.GetValue(misbehave) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            try { Chainlab.Node.Adversary.Misbehaviours.Parse(misbehaviours); }
            catch (ArgumentException e) { throw new CliException($"--misbehave: {e.Message}", ExitCodes.BadInput); }
            var producer = keyPath is not null ? KeyFiles.Unlock(keyPath, pr.GetValue(passwordFile) ?? file.PasswordFile) : null;
            Chainlab.Node.Faults.DevnetControl? control = null;
            if (pr.GetValue(devnetToken) is { } tokenFile)
            {
                if (!System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(listenAt)))
                    throw new CliException("--devnet-token-file: the devnet control route is served on a loopback API only", ExitCodes.BadInput);
                string token;
                try { token = File.ReadAllText(tokenFile).Trim(); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {tokenFile}: {e.Message}", ExitCodes.BadInput); }
                if (token.Length < 32) throw new CliException($"{tokenFile}: the devnet token must be at least 32 characters", ExitCodes.BadInput);
                IReadOnlyList<Chainlab.Node.Faults.DevnetMember> members;
                try { members = Chainlab.Node.Faults.DevnetControl.ParseMembers(pr.GetValue(devnetMembers) ?? ""); }
                catch (ArgumentException e) { throw new CliException($"--devnet-members: {e.Message}", ExitCodes.BadInput); }
                var controlUrl = pr.GetValue(devnetControlUrl);
                if (controlUrl is not null && !(Uri.TryCreate(controlUrl, UriKind.Absolute, out var cu) && cu.Scheme == "http" && cu.IsLoopback))
                    throw new CliException($"--devnet-control-url: '{controlUrl}' is not a loopback http:// address", ExitCodes.BadInput);
                control = new Chainlab.Node.Faults.DevnetControl(token, TimeProvider.System, new Random()) { Members = members, ControlUrl = controlUrl };
            }
            else if (pr.GetValue(devnetMembers) is not null || pr.GetValue(devnetControlUrl) is not null)
                throw new CliException("--devnet-members and --devnet-control-url need --devnet-token-file", ExitCodes.BadInput);
            Defences defences;
            try { defences = Defences.Without(pr.GetValue(disable) ?? []); }
            catch (ArgumentException e) { throw new CliException($"--test-only-disable-defence: {e.Message}", ExitCodes.BadInput); }
            using var shutdown = new Shutdown(ct);
            var options = new NodeOptions
            {
                DataDir = dataDir,
                Spec = chainSpec,
                ProducerKey = producer,
                ApiPort = apiPort,
                ListenAddress = listenAt,
                Postgres = pr.GetValue(db) ?? file.Db ?? Environment.GetEnvironmentVariable(NodeConfigFile.DbEnvVar),
                Mempool = new MempoolOptions { Capacity = cap, PerSenderLimit = limit },
                LogLevel = level,
                JsonLogs = formatText == "json",
                Peers = peers,
                MineThreads = pr.GetValue(mine) ? threads : 0,
                Files = fileLimits,
                Misbehave = misbehaviours,
                Defences = defences,
            };
            await using var node = await NodeHost.StartAsync(control is null ? options : options.ControlledBy(control), shutdown.Token);
            if (formatText == "json")
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                {
                    Timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), LogLevel = "Information", Category = "Chainlab.Cli", EventId = 0,
                    Message = "ready", Api = node.ApiUrl.ToString(), Store = node.Store.Describe,
                    P2p = node.Network is { } jn ? $"{p2pAt}:{jn.Port}" : null, Node = node.Network?.NodeId,
                }));
            else Console.Out.WriteLine($"api {node.ApiUrl} store {node.Store.Describe}" + (node.Network is { } n ? $" p2p {p2pAt}:{n.Port} node {n.NodeId}" : ""));
            await shutdown.WaitAsync();
            return 0;
        });
        cmd.Subcommands.Add(run);
        return cmd;
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
