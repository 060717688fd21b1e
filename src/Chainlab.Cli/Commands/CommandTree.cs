using System.CommandLine;

namespace Chainlab.Cli.Commands;

/// <summary>The whole command line of chainlab: every command, in the order --help lists them.</summary>
public static class CommandTree
{
    public static RootCommand Build()
    {
        var root = new RootCommand("chainlab: run, use and break a blockchain network");
        root.Options.Add(Global.Node);
        root.Options.Add(Global.Json);
        root.Options.Add(Global.NoColor);
        root.Subcommands.Add(DevnetCommands.Build());
        root.Subcommands.Add(NodeCommands.Build());
        root.Subcommands.Add(WalletCommands.Build());
        root.Subcommands.Add(TxCommands.Build());
        root.Subcommands.Add(ContractCommands.Build());
        root.Subcommands.Add(FileCommands.Build());
        foreach (var c in ConsensusCommands.Build()) root.Subcommands.Add(c);
        root.Subcommands.Add(ChainCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        root.Subcommands.Add(ScenarioCommands.Build());
        root.Subcommands.Add(SimCommands.Build());
        root.Subcommands.Add(LabCommands.Build());
        root.Subcommands.Add(CompletionCommands.Build());
        return root;
    }
}
