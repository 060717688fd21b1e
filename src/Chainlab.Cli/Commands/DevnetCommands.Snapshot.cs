using Chainlab.Cli.Devnets;
using Chainlab.Node.Hosting;
using System.CommandLine;

namespace Chainlab.Cli.Commands;

/// <summary>devnet snapshot save|restore|list: the devnet's data kept to repeat experiments from the same point.</summary>
public static partial class DevnetCommands
{
    private static Command Snapshot(Option<string> dir)
    {
        var snapshot = new Command("snapshot", "Save or restore the devnet's data to repeat experiments from the same point");
        var name = new Argument<string>("name") { Description = "Snapshot name (lower-case letters, digits and _)" };
        snapshot.Subcommands.Add(SnapshotSaveOrRestore("save", "Stop the devnet, copy every node's data to a snapshot, start it again", name, dir));
        snapshot.Subcommands.Add(SnapshotSaveOrRestore("restore", "Stop the devnet, put a snapshot's data back, start it again", name, dir));
        snapshot.Subcommands.Add(SnapshotList(dir));
        return snapshot;
    }

    /// <summary>snapshot save NAME / snapshot restore NAME: stop the devnet, copy its data, start it again if it ran.</summary>
    private static Command SnapshotSaveOrRestore(string verb, string what, Argument<string> name, Option<string> dir)
    {
        var c = new Command(verb, what) { name, dir };
        c.SetAction(async (pr, ct) =>
        {
            var root = Path.GetFullPath(pr.GetValue(dir)!);
            var n = pr.GetValue(name)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(n, "^[a-z0-9_]{1,24}$"))
                throw new CliException("snapshot names are 1-24 lower-case letters, digits or _", ExitCodes.BadInput);
            if (!File.Exists(Path.Combine(root, NodeCore.SpecFileName)))
                throw new CliException($"no devnet in {root}; run devnet up first", ExitCodes.NotFound);
            if (verb == "restore" && !Directory.Exists(DevnetControl.SnapshotDir(root, n)))
                throw new CliException($"no snapshot '{n}' in {Path.Combine(root, "snapshots")}", ExitCodes.NotFound);
            var wasRunning = await DevnetControl.StopAsync(root, ct);
            if (verb == "save") DevnetControl.Save(root, n); else DevnetControl.Restore(root, n);
            Console.Out.WriteLine(verb == "save" ? $"saved snapshot {n}" : $"restored snapshot {n}");
            if (wasRunning)
                Console.Out.WriteLine($"devnet started again in the background (pid {await DevnetControl.StartInBackgroundAsync(root, ct)}, log {Path.Combine(root, "devnet.log")})");
            return 0;
        });
        return c;
    }

    private static Command SnapshotList(Option<string> dir)
    {
        var list = new Command("list", "List snapshots") { dir };
        list.SetAction(pr =>
        {
            var snaps = Path.Combine(Path.GetFullPath(pr.GetValue(dir)!), "snapshots");
            foreach (var d in Directory.Exists(snaps) ? Directory.GetDirectories(snaps).Order() : Enumerable.Empty<string>())
                Console.Out.WriteLine($"{Path.GetFileName(d)}  {Directory.GetLastWriteTimeUtc(d):u}");
            return 0;
        });
        return list;
    }
}
