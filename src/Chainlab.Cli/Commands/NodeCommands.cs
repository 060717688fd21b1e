using System.CommandLine;
using Chainlab.Core.Model;
using Chainlab.Node;
using Chainlab.Node.Mempool;
using Microsoft.Extensions.Logging;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab node run: one node process.</summary>
public static class NodeCommands
{
    public static Command Build()
    {
        var cmd = new Command("node", "Run a node");
        var data = new Option<string>("--data") { Description = "Data folder (database, chain spec, lock)", Required = true };
        var spec = new Option<string?>("--spec") { Description = "Chain spec JSON (needed on first start)" };
        var key = new Option<string?>("--key") { Description = "Key file of the producer/authority key (omit for a non-producing node)" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Password for --key (else $CHAINLAB_PASSWORD)" };
        var port = new Option<int>("--port") { Description = "API port (0 = pick a free one)", DefaultValueFactory = _ => 7700 };
        var listen = new Option<string>("--listen") { Description = "API listen address; loopback unless you ask for more", DefaultValueFactory = _ => "127.0.0.1" };
        var capacity = new Option<int>("--mempool-capacity") { Description = "Most pending transactions", DefaultValueFactory = _ => new MempoolOptions().Capacity };
        var perSender = new Option<int>("--per-sender-limit") { Description = "Most pending transactions per sender (1 = one pending per wallet)", DefaultValueFactory = _ => new MempoolOptions().PerSenderLimit };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Trace, Debug, Information, Warning, Error", DefaultValueFactory = _ => LogLevel.Information };
        var run = new Command("run", "Run a node until Ctrl+C or SIGTERM") { data, spec, key, passwordFile, port, listen, capacity, perSender, logLevel };
        run.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(port) is < 0 or > 65535) throw new CliException("--port must be 0..65535", ExitCodes.BadInput);
            if (!System.Net.IPAddress.TryParse(pr.GetValue(listen), out _)) throw new CliException("--listen must be an IP address", ExitCodes.BadInput);
            if (pr.GetValue(capacity) < 1 || pr.GetValue(perSender) < 1) throw new CliException("mempool limits must be at least 1", ExitCodes.BadInput);
            ChainSpec? chainSpec = null;
            if (pr.GetValue(spec) is { } specPath)
            {
                try { chainSpec = ChainSpec.FromJson(File.ReadAllText(specPath)); }
                catch (FormatException e) { throw new CliException($"{specPath}: {e.Message}", ExitCodes.BadInput); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CliException($"cannot read {specPath}: {e.Message}", ExitCodes.BadInput); }
            }
            var producer = pr.GetValue(key) is { } keyPath ? KeyFiles.Unlock(keyPath, pr.GetValue(passwordFile)) : null;
            using var shutdown = new Shutdown(ct);
            await using var node = await ChainlabNode.StartAsync(new NodeOptions
            {
                DataDir = pr.GetValue(data)!,
                Spec = chainSpec,
                ProducerKey = producer,
                ApiPort = pr.GetValue(port),
                ListenAddress = pr.GetValue(listen)!,
                Mempool = new MempoolOptions { Capacity = pr.GetValue(capacity), PerSenderLimit = pr.GetValue(perSender) },
                LogLevel = pr.GetValue(logLevel),
            }, shutdown.Token);
            Console.Out.WriteLine($"api {node.ApiUrl}");
            await shutdown.WaitAsync();
            return 0;
        });
        cmd.Subcommands.Add(run);
        return cmd;
    }
}
