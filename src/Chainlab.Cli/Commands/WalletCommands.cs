using System.CommandLine;
using Chainlab.Core.Crypto;
using Chainlab.Core.Wallet;
using Spectre.Console;

namespace Chainlab.Cli.Commands;

/// <summary>chainlab wallet new|list|show|import|export: encrypted key files in a keystore folder.</summary>
public static class WalletCommands
{
    private static readonly Option<string?> KeystoreDir = new("--keystore") { Description = "Keystore folder (default ~/.chainlab/keys or $CHAINLAB_KEYSTORE)" };
    private static readonly Option<string?> PasswordFile = new("--password-file") { Description = "Read the password from this file (else $CHAINLAB_PASSWORD, else a prompt)" };

    public static Command Build()
    {
        var cmd = new Command("wallet", "Manage keys in encrypted key files");
        cmd.Options.Add(KeystoreDir);
        cmd.Options.Add(PasswordFile);
        KeystoreDir.Recursive = true;
        PasswordFile.Recursive = true;

        var label = new Option<string?>("--label") { Description = "A name to remember the key by" };
        var target = new Argument<string>("key") { Description = "Key file or address in the keystore" };
        cmd.Subcommands.Add(New(label));
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Show(target));
        cmd.Subcommands.Add(Import(label));
        cmd.Subcommands.Add(Export(target));
        return cmd;
    }

    private static Command New(Option<string?> label)
    {
        var @new = new Command("new", "Create a key and store it encrypted") { label };
        @new.SetAction(pr =>
        {
            var key = KeyPair.Generate();
            var pw = Passwords.Get(pr.GetValue(PasswordFile), "encrypt the new key", confirm: true);
            var path = Save(pr, key, pw, pr.GetValue(label));
            Report(pr, key.Address.ToString(), Convert.ToHexStringLower(key.PublicKey), path, pr.GetValue(label));
            return 0;
        });
        return @new;
    }

    private static Command List()
    {
        var list = new Command("list", "List the keys in the keystore");
        list.SetAction(pr =>
        {
            var dir = pr.GetValue(KeystoreDir) ?? KeyFiles.DefaultKeystore;
            var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").Order().ToList() : [];
            var rows = new List<(string Address, string? Label, string File)>();
            foreach (var f in files)
            {
                try { var k = Keystore.ReadPublic(File.ReadAllText(f)); rows.Add((k.Address, k.Label, f)); }
                catch (Exception e) when (e is KeystoreException or IOException) { /* not a key file: skip */ }
            }
            if (pr.GetValue(Global.Json)) { Global.PrintJson(rows.Select(r => new { address = r.Address, label = r.Label, file = r.File })); return 0; }
            var t = new Table().AddColumns("Address", "Label", "File");
            foreach (var r in rows) t.AddRow(r.Address, Markup.Escape(r.Label ?? ""), Markup.Escape(r.File));
            AnsiConsole.Write(t);
            if (rows.Count == 0) Console.Error.WriteLine($"no keys in {dir}");
            return 0;
        });
        return list;
    }

    private static Command Show(Argument<string> target)
    {
        var show = new Command("show", "Show a key's address and public key") { target };
        show.SetAction(pr =>
        {
            var path = KeyFiles.Resolve(pr.GetValue(target)!, pr.GetValue(KeystoreDir));
            var k = KeyFiles.ReadPublic(path);
            Report(pr, k.Address, k.PublicKey, path, k.Label);
            return 0;
        });
        return show;
    }

    private static Command Import(Option<string?> label)
    {
        var seedFile = new Option<string?>("--seed-file")
        {
            Description = "Import a raw 32-byte Ed25519 seed, as hex, from this file ('-' reads standard input); never from the command line, where ps and the shell history would see it",
        };
        var file = new Argument<string?>("file") { Description = "A chainlab key file to copy into the keystore", Arity = ArgumentArity.ZeroOrOne };
        var import = new Command("import", "Import a key file or a raw seed") { file, seedFile, label };
        import.SetAction(pr => pr.GetValue(seedFile) is { } seedPath
            ? ImportSeed(pr, seedPath, pr.GetValue(label))
            : ImportKeyFile(pr, pr.GetValue(file) ?? throw new CliException("give a key file or --seed-file", ExitCodes.BadInput)));
        return import;
    }

    /// <summary>wallet import --seed-file: a raw seed, as hex, stored encrypted.</summary>
    private static int ImportSeed(ParseResult pr, string seedPath, string? label)
    {
        string hex;
        try { hex = (seedPath == "-" ? Console.In.ReadToEnd() : File.ReadAllText(seedPath)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CliException($"cannot read seed file {seedPath}: {e.Message}", ExitCodes.BadInput); }
        byte[] seed;
        try { seed = Convert.FromHexString(hex.StartsWith("0x") ? hex[2..] : hex); }
        catch (FormatException) { throw new CliException("the seed is not hex", ExitCodes.BadInput); }
        if (seed.Length != 32) throw new CliException($"the seed must be 32 bytes, got {seed.Length}", ExitCodes.BadInput);
        var key = new KeyPair(seed);
        var pw = Passwords.Get(pr.GetValue(PasswordFile), "encrypt the imported key", confirm: true);
        var path = Save(pr, key, pw, label);
        Report(pr, key.Address.ToString(), Convert.ToHexStringLower(key.PublicKey), path, label);
        return 0;
    }

    /// <summary>wallet import FILE: a chainlab key file copied into the keystore as it is.</summary>
    private static int ImportKeyFile(ParseResult pr, string src)
    {
        var text = KeyFiles.ReadText(src);
        var k = KeyFiles.ReadPublic(src);
        // The file name comes from the key itself, never from the file's own 'address' field (which could be
        // '../../x' or an absolute path).
        byte[] publicKey;
        try { publicKey = Convert.FromHexString(k.PublicKey); }
        catch (FormatException) { throw new CliException($"{src}: publicKey is not hex", ExitCodes.BadInput); }
        if (publicKey.Length != 32) throw new CliException($"{src}: publicKey must be 32 bytes", ExitCodes.BadInput);
        var address = Address.FromPublicKey(publicKey).ToString();
        if (address != k.Address) throw new CliException($"{src}: its address does not belong to its public key", ExitCodes.BadInput);
        var dest = Path.Combine(pr.GetValue(KeystoreDir) ?? KeyFiles.DefaultKeystore, address + ".json");
        KeyFiles.WriteNew(dest, text);
        Report(pr, address, k.PublicKey, dest, k.Label);
        return 0;
    }

    private static Command Export(Argument<string> target)
    {
        var showSeed = new Option<bool>("--seed") { Description = "Print the raw seed (hex) after checking the password; handle with care" };
        var export = new Command("export", "Print a key file (portable), or its raw seed with --seed") { target, showSeed };
        export.SetAction(pr =>
        {
            var path = KeyFiles.Resolve(pr.GetValue(target)!, pr.GetValue(KeystoreDir));
            if (pr.GetValue(showSeed))
            {
                var key = KeyFiles.Unlock(path, pr.GetValue(PasswordFile));
                Console.Out.WriteLine(Convert.ToHexStringLower(key.Seed));
            }
            else
            {
                KeyFiles.ReadPublic(path);
                Console.Out.Write(KeyFiles.ReadText(path));
                Console.Out.WriteLine();
            }
            return 0;
        });
        return export;
    }

    private static string Save(ParseResult pr, KeyPair key, string password, string? label)
    {
        var dir = pr.GetValue(KeystoreDir) ?? KeyFiles.DefaultKeystore;
        var path = Path.Combine(dir, key.Address + ".json");
        KeyFiles.WriteNew(path, Keystore.Encrypt(key, password, label));
        return path;
    }

    private static void Report(ParseResult pr, string address, string publicKey, string path, string? label)
    {
        if (pr.GetValue(Global.Json)) { Global.PrintJson(new { address, publicKey, file = path, label }); return; }
        Console.Out.WriteLine($"address     {address}");
        Console.Out.WriteLine($"public key  {publicKey}");
        Console.Out.WriteLine($"file        {path}");
        if (label is not null) Console.Out.WriteLine($"label       {label}");
    }
}
