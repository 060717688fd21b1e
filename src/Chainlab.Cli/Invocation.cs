using System.CommandLine;

namespace Chainlab.Cli;

/// <summary>Runs a command line the chainlab way: one clear line on stderr and a meaningful exit code for every failure.</summary>
public static class Invocation
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (Global.Plain(parse)) Spectre.Console.AnsiConsole.Profile.Capabilities.ColorSystem = Spectre.Console.ColorSystem.NoColors;
        // A shell asking for completions ([suggest:N]) gets them even for a line that does not parse yet.
        var completing = root.Directives.OfType<System.CommandLine.Completions.SuggestDirective>().Any(d => parse.GetResult(d) is not null);
        if (parse.Errors.Count > 0 && !completing)
        {
            foreach (var e in parse.Errors.Take(1)) Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        try
        {
            // ProcessTerminationTimeout null: System.CommandLine leaves SIGINT and SIGTERM alone. Its handler cancels the
            // command inline on the signal thread and then blocks it for two seconds; commands that clean up on a
            // signal take it with a Shutdown of their own.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is Chainlab.Node.Hosting.NodeStartException or Chainlab.Node.Storage.StoreException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            // An HTTP call that ran out of time is not the user's Ctrl+C: say so, in one line.
            Console.Error.WriteLine($"error: a node did not answer in time ({e.InnerException.Message.Split('\n')[0]})");
            return ExitCodes.Unreachable;
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
    }
}
