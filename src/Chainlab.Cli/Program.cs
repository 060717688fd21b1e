using Chainlab.Cli;
using Chainlab.Cli.Commands;

return await Invocation.RunAsync(CommandTree.Build(), args);
