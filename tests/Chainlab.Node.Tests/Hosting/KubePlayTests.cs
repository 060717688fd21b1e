using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Chainlab.Cli.Commands;
using Chainlab.Cli.Processes;
using k8s.Models;
using Xunit.Abstractions;

namespace Chainlab.Node.Tests.Hosting;

/// <summary>
/// The manifests `devnet kube` writes, played with `podman kube play` (Debian's Podman, runc) on a network of
/// their own: the pods run the image the Dockerfile builds, find pod 0 by name and agree on one chain. When a
/// step cannot run, the test fails and says which step and why.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Podman.Collection)]
public sealed class KubePlayTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Podman_plays_the_manifests_and_three_pods_of_the_Dockerfile_image_find_each_other_by_name_and_agree_on_one_chain()
    {
        var podman = new Podman(output);
        await podman.BuildNodeImageAsync();

        // Pods, claims, secrets and networks are named machine-wide: a name of this run's own.
        var name = "clk" + Guid.NewGuid().ToString("n")[..8];
        var dir = Path.Combine(Path.GetTempPath(), "chainlab-kube-" + name);
        var port = LoopbackPort.FreeRange(3);
        var (code, _, err) = await CliRunner.RunAsync(null, "devnet", "kube", "--nodes", "3", "--name", name, "--out", dir,
            "--image", Podman.NodeImage, "--host-port", port.ToString(), "--block-time", "500ms");
        Assert.True(code == 0, $"devnet kube failed: {err}");
        var file = Path.Combine(dir, DevnetKube.FileName);
        try
        {
            await podman.RunAsync(null, "network", "create", name);
            var version = (await podman.RunAsync(null, "version", "--format", "{{.Client.Version}}")).Trim();
            if (version.StartsWith("4.3."))
                file = await CreateSecretAsPodman43ReadsIt(podman, file, dir, name);
            await podman.RunAsync(null, "kube", "play", "--network", name, file);

            var nodes = Enumerable.Range(0, 3).Select(i => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port + i}"), Timeout = TimeSpan.FromSeconds(5) }).ToArray();
            // Pod 0 produces; pods 1 and 2 know it only by name, and follow it.
            var heads = await Until(async () =>
            {
                var s = await Task.WhenAll(nodes.Select(Status));
                return s.All(x => x is not null && x["headHeight"]!.GetValue<ulong>() >= 5) ? s : null;
            }, "every pod at height 5", podman, name);
            Assert.Single(heads.Select(h => h!["genesisHash"]!.GetValue<string>()).Distinct());
            var block5 = await Task.WhenAll(nodes.Select(n => n.GetFromJsonAsync<JsonObject>("/api/v1/blocks/5")));
            Assert.Single(block5.Select(b => b!["header"]!["hash"]!.GetValue<string>()).Distinct());
            Assert.NotEmpty((await nodes[2].GetFromJsonAsync<JsonObject>("/api/v1/peers"))!["peers"]!.AsArray());

            var container = $"{name}-1-node";
            Assert.Equal(DevnetKube.ImageUid.ToString(), (await podman.RunAsync(null, "exec", container, "id", "-u")).Trim());
            var mounts = await podman.RunAsync(null, "inspect", "--format", "{{range .Mounts}}{{.Name}}={{.Destination}} {{end}}", container);
            Assert.Contains($"{name}-data-1=/data", mounts); // the claim, as a Podman volume
            Assert.True(File.ReadAllText(Path.Combine(dir, "chainlab", "keys", "node.json")) == await podman.RunAsync(null, "exec", $"{name}-0-node", "cat", $"{DevnetKube.KeysDir}/node.json"),
                "pod 0 reads its key from the Secret as written");
            // Published on the loopback only, and nothing else published.
            var ports = await podman.RunAsync(null, "ps", "--filter", $"name={name}", "--format", "{{.Ports}}");
            Assert.DoesNotContain("0.0.0.0", ports);
            for (var i = 0; i < 3; i++) Assert.Contains($"127.0.0.1:{port + i}->", ports);
        }
        finally
        {
            await podman.TryAsync("kube down", () => podman.RunAsync(null, "kube", "down", file));
            // What a play that failed half-way left behind.
            await podman.TryAsync("pod rm", () => podman.RunAsync(null, ["pod", "rm", "-f", "--ignore", .. Enumerable.Range(0, 3).Select(i => $"{name}-{i}")]));
            // Podman keeps the claims, and the ConfigMap's and Secret's contents, as volumes of those names.
            var volumes = Enumerable.Range(0, 3).Select(i => $"{name}-data-{i}").Append($"{name}-spec").Append($"{name}-keys");
            foreach (var volume in volumes)
                if (await podman.TryAsync("volume exists", () => podman.RunAsync(null, "volume", "exists", volume)) is not null)
                    await podman.TryAsync("volume rm", () => podman.RunAsync(null, "volume", "rm", "-f", volume));
            if (await podman.TryAsync("secret inspect", () => podman.RunAsync(null, "secret", "inspect", $"{name}-keys")) is not null)
                await podman.TryAsync("secret rm", () => podman.RunAsync(null, "secret", "rm", $"{name}-keys"));
            await podman.TryAsync("network rm", () => podman.RunAsync(null, "network", "rm", "-f", name));
            TempDir.Delete(dir);
        }
    }

    /// <summary>
    /// Podman 4.3 stores a Secret it plays, but mounts its data still base64-encoded and drops stringData. So the
    /// test makes the Podman secret itself, from the Secret in the file, in the form 4.3 reads (the values as text),
    /// and plays the rest of the file unchanged. Returns the file to play.
    /// </summary>
    private static async Task<string> CreateSecretAsPodman43ReadsIt(Podman podman, string file, string dir, string name)
    {
        var yaml = File.ReadAllText(file);
        var secret = KubeManifestTests.Load(yaml).OfType<V1Secret>().Single();
        var text = new StringBuilder($"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {secret.Metadata.Name}\ntype: Opaque\ndata:\n");
        foreach (var (key, bytes) in secret.Data)
        {
            text.Append($"  {key}: |-\n");
            foreach (var line in Encoding.UTF8.GetString(bytes).TrimEnd('\n').Split('\n')) text.Append($"    {line}\n");
        }
        var secretFile = Path.Combine(dir, "podman-4.3-secret.yaml");
        File.WriteAllText(secretFile, text.ToString());
        await podman.RunAsync(null, "secret", "create", $"{name}-keys", secretFile);

        var documents = yaml.Split("\n---\n");
        Assert.Equal(1, documents.Count(d => d.StartsWith("apiVersion: v1\nkind: Secret\n")));
        var played = Path.Combine(dir, "podman-4.3.yaml");
        File.WriteAllText(played, string.Join("\n---\n", documents.Where(d => !d.StartsWith("apiVersion: v1\nkind: Secret\n"))));
        return played;
    }

    private static async Task<JsonObject?> Status(HttpClient node)
    {
        try { return await node.GetFromJsonAsync<JsonObject>("/api/v1/status"); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
    }

    /// <summary>Polls until the check gives a value; on time-out, fails with the pods' last log lines.</summary>
    private static async Task<T> Until<T>(Func<Task<T?>> check, string what, Podman podman, string name) where T : class
    {
        var until = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < until)
        {
            if (await check() is { } value) return value;
            await Task.Delay(500);
        }
        var logs = await podman.TryAsync("logs", () => podman.RunAsync(null, "logs", "--tail", "20", $"{name}-0-node", $"{name}-1-node"));
        throw new TimeoutException($"waited 3 minutes for {what}; the pods said:\n{logs}");
    }
}
