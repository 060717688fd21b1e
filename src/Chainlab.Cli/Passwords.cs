namespace Chainlab.Cli;

/// <summary>Where key file passwords come from: --password-file, then CHAINLAB_PASSWORD, then a prompt.</summary>
public static class Passwords
{
    public const string EnvVar = "CHAINLAB_PASSWORD";

    /// <summary>The password; with confirm (a new key is being encrypted) an empty one is refused.</summary>
    public static string Get(string? passwordFile, string purpose, bool confirm = false)
    {
        var pw = Read(passwordFile, purpose, confirm);
        if (confirm && pw.Length == 0)
            throw new CliException($"an empty password would leave the key unprotected: choose one to {purpose}", ExitCodes.BadInput);
        return pw;
    }

    private static string Read(string? passwordFile, string purpose, bool confirm)
    {
        if (passwordFile is not null)
        {
            try { return File.ReadAllText(passwordFile).TrimEnd('\r', '\n'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            { throw new CliException($"cannot read password file {passwordFile}: {e.Message}", ExitCodes.BadInput); }
        }
        if (Environment.GetEnvironmentVariable(EnvVar) is { } env) return env;
        if (Console.IsInputRedirected)
            throw new CliException($"a password is needed to {purpose}: use --password-file or set {EnvVar}", ExitCodes.BadInput);
        var pw = Prompt($"Password to {purpose}: ");
        if (confirm && Prompt("Repeat password: ") != pw) throw new CliException("the passwords differ", ExitCodes.BadInput);
        return pw;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var chars = new List<char>();
        while (true)
        {
            var k = Console.ReadKey(intercept: true);
            if (k.Key == ConsoleKey.Enter) break;
            if (k.Key == ConsoleKey.Backspace) { if (chars.Count > 0) chars.RemoveAt(chars.Count - 1); continue; }
            chars.Add(k.KeyChar);
        }
        Console.Error.WriteLine();
        return new string(chars.ToArray());
    }
}
