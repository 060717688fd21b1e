using System.CommandLine;
using Chainlab.Cli;
using Chainlab.Cli.Commands;

var root = new RootCommand("chainlab: run, use and break a blockchain network");
root.Options.Add(Global.Node);
root.Options.Add(Global.Json);
root.Subcommands.Add(DevnetCommands.Build());
root.Subcommands.Add(NodeCommands.Build());
root.Subcommands.Add(WalletCommands.Build());
root.Subcommands.Add(TxCommands.Build());
foreach (var c in ConsensusCommands.Build()) root.Subcommands.Add(c);
root.Subcommands.Add(ChainCommands.Build());
root.Subcommands.Add(BenchCommands.Build());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var e in parse.Errors.Take(1)) Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (CliException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}
catch (Exception e) when (e is Chainlab.Node.NodeStartException or Chainlab.Node.Storage.StoreException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.Failure;
}
catch (OperationCanceledException)
{
    return 130;
}
catch (Exception e)
{
    // Last resort: still one line, never a stack trace.
    Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]}");
    return ExitCodes.Failure;
}
