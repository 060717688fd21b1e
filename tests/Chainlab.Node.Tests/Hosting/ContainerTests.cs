using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Chainlab.Cli.Processes;
using Xunit.Abstractions;

namespace Chainlab.Node.Tests.Hosting;

/// <summary>
/// The Dockerfile and the compose file `devnet compose` writes, run for real with Podman (Debian's packages;
/// .ci/run installs them). No registry is reachable, so the base images are made here: a Debian root file
/// system from debootstrap with this machine's .NET SDK copied in, passed to the Dockerfile as its build
/// arguments. When a step cannot run, the test fails and says which step and why; it never passes quietly.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Podman.Collection)]
public sealed class ContainerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_image_runs_a_compose_network_of_three_nodes_as_a_non_root_user_with_a_passing_health_check_and_chains_that_outlive_their_containers()
    {
        var podman = new Podman(output);
        await podman.BuildNodeImageAsync();

        var dir = Path.Combine(Path.GetTempPath(), "chainlab-containers-" + Guid.NewGuid().ToString("n")[..8]);
        var project = "cl" + Guid.NewGuid().ToString("n")[..10];
        var port = LoopbackPort.FreeRange(3);
        var (code, o, err) = await CliRunner.RunAsync(null, "devnet", "compose", "--nodes", "3", "--out", dir, "--image", Podman.NodeImage, "--port", port.ToString(), "--block-time", "500ms");
        Assert.True(code == 0, err);
        try
        {
            await podman.ComposeAsync(dir, project, "up", "-d");
            var nodes = Enumerable.Range(0, 3).Select(i => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port + i}"), Timeout = TimeSpan.FromSeconds(5) }).ToArray();
            // Every node reaches height 5 on one chain: node 1 produces, the others follow it over the compose network by name.
            var heads = await Until(async () =>
            {
                var s = await Task.WhenAll(nodes.Select(Status));
                return s.All(x => x is not null && x["headHeight"]!.GetValue<ulong>() >= 5) ? s : null;
            }, "every node at height 5", podman, project);
            var first = heads[0]!;
            Assert.All(heads, h => Assert.Equal(first["genesisHash"]!.GetValue<string>(), h!["genesisHash"]!.GetValue<string>()));
            var block5 = await Task.WhenAll(nodes.Select(n => n.GetFromJsonAsync<JsonObject>("/api/v1/blocks/5")));
            Assert.Single(block5.Select(b => b!["header"]!["hash"]!.GetValue<string>()).Distinct());
            var peers = await nodes[2].GetFromJsonAsync<JsonObject>("/api/v1/peers");
            Assert.NotEmpty(peers!["peers"]!.AsArray());

            var node2 = $"{project}_node2_1";
            Assert.Equal("chainlab", (await podman.RunAsync(null, "inspect", "--format", "{{.Config.User}}", node2)).Trim());
            Assert.NotEqual("0", (await podman.RunAsync(null, "exec", node2, "id", "-u")).Trim());
            await podman.RunAsync(null, "healthcheck", "run", node2); // exit 0: the image's HEALTHCHECK passes
            Assert.Contains("/data", await podman.RunAsync(null, "inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", node2));

            // Containers gone, volumes kept: the same chain comes back and goes on.
            var height = first["headHeight"]!.GetValue<ulong>();
            await podman.ComposeAsync(dir, project, "down");
            await podman.ComposeAsync(dir, project, "up", "-d");
            var again = await Until(async () => await Status(nodes[0]) is { } s && s["headHeight"]!.GetValue<ulong>() > height ? s : null, "node 1 back and past its old height", podman, project);
            Assert.Equal(first["genesisHash"]!.GetValue<string>(), again["genesisHash"]!.GetValue<string>());
            var old = await nodes[0].GetFromJsonAsync<JsonObject>("/api/v1/blocks/5");
            Assert.Equal(block5[0]!["header"]!["hash"]!.GetValue<string>(), old!["header"]!["hash"]!.GetValue<string>());
        }
        finally
        {
            await podman.TryAsync("compose down -v", () => podman.ComposeAsync(dir, project, "down", "-v"));
            foreach (var volume in (await podman.TryAsync("volume ls", () => podman.RunAsync(null, "volume", "ls", "-q", "--filter", $"name={project}")) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                await podman.TryAsync("volume rm", () => podman.RunAsync(null, "volume", "rm", "-f", volume));
            await podman.TryAsync("network rm", () => podman.RunAsync(null, "network", "rm", "-f", $"{project}_default"));
            TempDir.Delete(dir);
        }
    }

    private static async Task<JsonObject?> Status(HttpClient node)
    {
        try { return await node.GetFromJsonAsync<JsonObject>("/api/v1/status"); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
    }

    /// <summary>Polls until the check gives a value; on time-out, fails with the containers' last log lines.</summary>
    private static async Task<T> Until<T>(Func<Task<T?>> check, string what, Podman podman, string project) where T : class
    {
        var until = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < until)
        {
            if (await check() is { } value) return value;
            await Task.Delay(500);
        }
        var logs = await podman.TryAsync("logs", () => podman.RunAsync(null, "logs", "--tail", "20", $"{project}_node1_1", $"{project}_node2_1"));
        throw new TimeoutException($"waited 3 minutes for {what}; the containers said:\n{logs}");
    }

}

[CollectionDefinition(Podman.Collection)]
public sealed class PodmanCollection;

/// <summary>Podman and podman-compose with this machine's settings (runc, cgroupfs, no default ulimits).</summary>
internal sealed class Podman
{
    /// <summary>The tests that build and run images, one at a time: they share the base images, their cache and the node image's tag.</summary>
    public const string Collection = "podman";

    private readonly ITestOutputHelper _output;
    private readonly string _conf;

    /// <summary>Where debootstrap's Debian root file system is kept between runs (it takes a minute or two to make).</summary>
    private static readonly string RootfsCache = Path.Combine(Path.GetTempPath(), "chainlab-test-rootfs");

    /// <summary>What the .NET images have beside Debian's minimal base: ICU (the SDK needs it) and CA certificates.</summary>
    private const string Packages = "ca-certificates,libicu72";

    /// <summary>Debian with this machine's .NET; the tag changes with what goes into it (Packages).</summary>
    public const string DotnetImage = "localhost/chainlab-test/dotnet:10.0-b2";

    /// <summary>What the repository's Dockerfile builds, on <see cref="DotnetImage"/>.</summary>
    public const string NodeImage = "localhost/chainlab-test/node:latest";

    public static string NuGetPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public Podman(ITestOutputHelper output)
    {
        _output = output;
        var missing = new[] { "podman", "runc", "podman-compose", "debootstrap" }.Where(t => Which(t) is null).ToList();
        if (missing.Count > 0)
            Assert.Fail($"cannot test containers: {string.Join(", ", missing)} not installed (apt-get install -y podman runc podman-compose debootstrap; .ci/run does this)");
        // crun fails on this kernel's cgroup layout and the default ulimits cannot be set inside this sandbox.
        _conf = Path.Combine(Path.GetTempPath(), "chainlab-test-containers.conf");
        File.WriteAllText(_conf, "[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = \"cgroupfs\"\nruntime = \"runc\"\n");
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>Makes the base image (Debian + this machine's .NET) unless it is already there.</summary>
    public async Task EnsureDotnetImageAsync(string name)
    {
        if (await TryAsync("image exists", () => RunAsync(null, "image", "exists", name)) is not null) return;
        var marker = Path.Combine(RootfsCache, ".complete");
        if (!File.Exists(marker) || File.ReadAllText(marker) != Packages)
        {
            if (Directory.Exists(RootfsCache)) Directory.Delete(RootfsCache, true);
            await Tool(Which("debootstrap")!, null, "--variant=minbase", "--include=" + Packages, "bookworm", RootfsCache, "http://deb.debian.org/debian");
            File.WriteAllText(marker, Packages);
        }
        await Tool("sh", null, "-c", $"tar -C '{RootfsCache}' --exclude=./.complete -c . | podman import - localhost/chainlab-test/debian:bookworm");
        var dotnetRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var context = Directory.CreateTempSubdirectory("chainlab-dotnet-image").FullName;
        try
        {
            // The machine's own CA certificates too, so that a restore inside the build may reach the package feed.
            File.WriteAllText(Path.Combine(context, "Containerfile"),
                "FROM localhost/chainlab-test/debian:bookworm\n" +
                "RUN cp -a /mnt/dotnet /usr/share/dotnet && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet" +
                " && (cp /mnt/ca/*.crt /usr/local/share/ca-certificates/ 2>/dev/null; update-ca-certificates)\n");
            var ca = Directory.Exists("/usr/local/share/ca-certificates") ? "/usr/local/share/ca-certificates" : context;
            await RunAsync(null, "build", "--format", "docker", "-v", $"{dotnetRoot}:/mnt/dotnet:ro", "-v", $"{ca}:/mnt/ca:ro", "-t", name, context);
        }
        finally { TempDir.Delete(context); }
    }

    /// <summary>Builds the repository's Dockerfile as <see cref="NodeImage"/>, with <see cref="DotnetImage"/> as both of its base images.</summary>
    public async Task BuildNodeImageAsync()
    {
        await EnsureDotnetImageAsync(DotnetImage);
        await RunAsync(null, "build", "--format", "docker", "--network", "host",
            "-v", $"{NuGetPackages}:/root/.nuget/packages", "--build-arg", $"SDK_IMAGE={DotnetImage}", "--build-arg", $"BASE_IMAGE={DotnetImage}",
            "-t", NodeImage, RepoFiles.Root);
    }

    public Task<string> RunAsync(string? workDir, params string[] args) => Tool("podman", workDir, args);

    public Task<string> ComposeAsync(string dir, string project, params string[] args) =>
        Tool("podman-compose", dir, ["-p", project, .. args]);

    /// <summary>Runs a step of the clean-up; its failure is written to the output, not thrown over the test's own result.</summary>
    public async Task<string?> TryAsync(string what, Func<Task<string>> step)
    {
        try { return await step(); }
        catch (Exception e) { _output.WriteLine($"{what}: {e.Message}"); return null; }
    }

    private async Task<string> Tool(string file, string? workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CONTAINERS_CONF"] = _conf;
        var started = Stopwatch.StartNew();
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var line = $"{file} {string.Join(' ', args)}";
        _output.WriteLine($"{line[..Math.Min(line.Length, 160)]}: exit {p.ExitCode} in {started.Elapsed.TotalSeconds:F1} s");
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"`{line}` failed with exit code {p.ExitCode}:\n{Tail(await err)}\n{Tail(stdout)}");
        return stdout;
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : "…" + text[^3000..];
}
