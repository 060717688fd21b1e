using System.Text;
using Chainlab.Cli;
using Chainlab.Cli.Commands;
using Chainlab.Cli.Devnets;
using Chainlab.Core.Model;
using Chainlab.Node.Hosting;
using k8s;
using k8s.Models;

namespace Chainlab.Node.Tests.Hosting;

/// <summary>
/// The manifests `devnet kube` writes, read back with the Kubernetes client's own model types and its strict
/// reader (an unknown field fails), and checked for what a cluster needs to run them.
/// </summary>
public sealed class KubeManifestTests
{
    private static ChainSpec Spec => new() { ChainId = "x", BlockTimeMs = 1000, Consensus = new ConsensusSpec { Engine = "poa" } };

    private static Dictionary<string, byte[]> Keys(DevnetSettings settings) =>
        DevnetKube.SecretKeys(settings).ToDictionary(k => k, k => Encoding.UTF8.GetBytes($"{{\"key\": \"{k}\"}}"));

    /// <summary>The manifests as typed Kubernetes objects, in the order of the file.</summary>
    internal static List<IKubernetesObject<V1ObjectMeta>> Load(string yaml) =>
        KubernetesYaml.LoadAllFromString(yaml, strict: true).Cast<IKubernetesObject<V1ObjectMeta>>().ToList();

    private static string After(IList<string> args, string option) => args[args.IndexOf(option) + 1];

    [Theory]
    [InlineData("poa", 4)]
    [InlineData("pos", 3)]
    [InlineData("pow", 2)]
    public void The_manifests_are_Kubernetes_objects_giving_every_node_a_pod_with_its_spec_keys_volume_probes_and_a_stable_peer_name(string engine, int nodes)
    {
        var settings = new DevnetSettings { Consensus = engine, Nodes = nodes };
        var keys = Keys(settings);
        var objects = Load(DevnetKube.Yaml(new KubeNetwork("lab", settings, "registry.example/chainlab:1"), Spec, keys));

        // Created in an order that lets each object find what it refers to.
        Assert.Equal(["ConfigMap", "Secret", "Service", "Service", .. Enumerable.Repeat("PersistentVolumeClaim", nodes), .. Enumerable.Repeat("Pod", nodes)],
            objects.Select(o => o.Kind));
        Assert.All(objects, o => Assert.Equal("v1", o.ApiVersion));
        Assert.All(objects, o => Assert.Equal("lab", o.Metadata.Labels["app.kubernetes.io/instance"]));

        var config = objects.OfType<V1ConfigMap>().Single();
        Assert.Equal(Spec.ToJson().TrimEnd(), config.Data[NodeCore.SpecFileName].TrimEnd()); // the spec as written, through the block scalar
        var secret = objects.OfType<V1Secret>().Single();
        Assert.Equal(keys.OrderBy(k => k.Key), secret.Data.OrderBy(k => k.Key)); // base64 in the file, the key files' bytes once read

        var services = objects.OfType<V1Service>().ToDictionary(s => s.Metadata.Name);
        var peers = services["lab-peers"];
        Assert.Equal("None", peers.Spec.ClusterIP); // headless: a DNS name per pod
        Assert.True(peers.Spec.PublishNotReadyAddresses);
        Assert.Equal(ContainerPorts.P2P, peers.Spec.Ports.Single().Port);
        var api = services["lab-api"];
        Assert.Equal("ClusterIP", api.Spec.Type);
        Assert.Equal(ContainerPorts.Api, api.Spec.Ports.Single().Port);
        Assert.Equal(ContainerPorts.Api.ToString(), api.Spec.Ports.Single().TargetPort.Value);

        var claims = objects.OfType<V1PersistentVolumeClaim>().ToList();
        Assert.Equal(Enumerable.Range(0, nodes).Select(i => $"lab-data-{i}"), claims.Select(c => c.Metadata.Name));
        Assert.All(claims, c => Assert.Equal("1Gi", c.Spec.Resources.Requests["storage"].ToString()));
        Assert.All(claims, c => Assert.Equal(["ReadWriteOnce"], c.Spec.AccessModes));

        var pods = objects.OfType<V1Pod>().ToList();
        for (var i = 0; i < nodes; i++)
        {
            var pod = pods[i];
            Assert.Equal($"lab-{i}", pod.Metadata.Name);
            // lab-i.lab-peers: the name a StatefulSet's pod would have, from the headless Service.
            Assert.Equal((pod.Metadata.Name, "lab-peers"), (pod.Spec.Hostname, pod.Spec.Subdomain));
            foreach (var service in services.Values)
                Assert.All(service.Spec.Selector, s => Assert.Equal(s.Value, pod.Metadata.Labels[s.Key]));
            Assert.True(pod.Spec.SecurityContext.RunAsNonRoot);
            Assert.Equal(DevnetKube.ImageUid, pod.Spec.SecurityContext.RunAsUser);

            var c = pod.Spec.Containers.Single();
            Assert.Equal("registry.example/chainlab:1", c.Image);
            Assert.Null(c.Command); // the image's entry point, chainlab
            Assert.Null(c.Ports); // nothing published unless asked (--host-port)
            foreach (var probe in new[] { c.ReadinessProbe, c.LivenessProbe })
            {
                Assert.Equal(DevnetKube.StatusPath, probe.HttpGet.Path);
                Assert.Equal(ContainerPorts.Api.ToString(), probe.HttpGet.Port.Value);
            }

            var volumes = pod.Spec.Volumes.ToDictionary(v => v.Name);
            var mounts = c.VolumeMounts.ToDictionary(m => m.Name);
            Assert.Equal(config.Metadata.Name, volumes["spec"].ConfigMap.Name);
            Assert.Equal(secret.Metadata.Name, volumes["keys"].Secret.SecretName);
            Assert.Equal($"lab-data-{i}", volumes["data"].PersistentVolumeClaim.ClaimName);
            Assert.Equal((DevnetKube.SpecDir, true), (mounts["spec"].MountPath, mounts["spec"].ReadOnlyProperty == true));
            Assert.Equal((DevnetKube.KeysDir, true), (mounts["keys"].MountPath, mounts["keys"].ReadOnlyProperty == true));
            Assert.Equal("/data", mounts["data"].MountPath);

            var args = c.Args.ToList();
            Assert.Equal(["node", "run"], args[..2]);
            Assert.Equal("/data", After(args, "--data"));
            Assert.Equal($"{DevnetKube.SpecDir}/{NodeCore.SpecFileName}", After(args, "--spec"));
            var hasKey = args.Contains("--key");
            Assert.Equal(engine != "poa" || i == 0, hasKey); // PoA: node 1 (pod 0) is the authority; PoS and PoW: every node produces
            if (hasKey)
            {
                Assert.Equal(i == 0 ? $"{DevnetKube.KeysDir}/node.json" : $"{DevnetKube.KeysDir}/node{i + 1}.json", After(args, "--key"));
                Assert.Contains(Path.GetFileName(After(args, "--key")), secret.Data.Keys);
                Assert.Equal($"{DevnetKube.KeysDir}/password", After(args, "--password-file"));
            }
            Assert.Equal(engine == "pow", args.Contains("--mine"));
            var bootstrap = args.Select((a, k) => (a, k)).Where(x => x.a == "--bootstrap").Select(x => args[x.k + 1]).ToList();
            if (i == 0) Assert.Empty(bootstrap);
            else Assert.Equal([$"lab-0.lab-peers:{ContainerPorts.P2P}", $"lab-0:{ContainerPorts.P2P}"], bootstrap); // the cluster's name for pod 0, then Podman's
        }
        Assert.Equal(claims.Count, pods.Select(p => p.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName).Distinct().Count());
    }

    [Theory]
    [InlineData("*chainlab:1")]
    [InlineData("[lab]/chainlab")]
    [InlineData("&anchor")]
    [InlineData("!tag:1")]
    [InlineData(@"odd\name")]
    public void An_image_name_that_YAML_would_read_as_something_else_reaches_the_pod_as_written(string image)
    {
        var settings = new DevnetSettings { Consensus = "poa", Nodes = 2 };
        var objects = Load(DevnetKube.Yaml(new KubeNetwork("lab", settings, image), Spec, Keys(settings)));
        Assert.All(objects.OfType<V1Pod>(), pod => Assert.Equal(image, pod.Spec.Containers.Single().Image));
    }

    [Fact]
    public void With_a_host_port_each_pod_publishes_only_its_API_and_only_on_the_loopback()
    {
        var settings = new DevnetSettings { Consensus = "poa", Nodes = 3 };
        var pods = Load(DevnetKube.Yaml(new KubeNetwork("lab", settings, "chainlab", "512Mi", HostPort: 7800), Spec, Keys(settings))).OfType<V1Pod>().ToList();
        for (var i = 0; i < 3; i++)
        {
            var port = pods[i].Spec.Containers.Single().Ports.Single();
            Assert.Equal((ContainerPorts.Api, 7800 + i, "127.0.0.1"), (port.ContainerPort, port.HostPort, port.HostIP));
        }
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task The_kube_command_writes_the_manifests_the_spec_and_the_keys_and_refuses_bad_input_in_one_line()
    {
        var dir = Path.Combine(Path.GetTempPath(), "chainlab-kube-" + Guid.NewGuid().ToString("n")[..8]);
        try
        {
            var (code, output, err) = await CliRunner.RunAsync(null, "devnet", "kube", "--nodes", "2", "--consensus", "pos", "--name", "lab", "--out", dir);
            Assert.True(code == 0, err);
            Assert.Contains("kubectl apply -f", output);
            var spec = ChainSpec.FromJson(File.ReadAllText(Path.Combine(dir, "chainlab", NodeCore.SpecFileName)));
            Assert.Equal(2, spec.Consensus.Validators!.Count);
            var before = File.ReadAllText(Path.Combine(dir, DevnetKube.FileName));
            var objects = Load(before);
            Assert.Equal(ChainSpec.FromJson(objects.OfType<V1ConfigMap>().Single().Data[NodeCore.SpecFileName]).ToJson(), spec.ToJson());
            // The producers' keys and their password go into the Secret as the files are; the dev accounts' keys stay here.
            var secret = objects.OfType<V1Secret>().Single();
            Assert.Equal(["node.json", "node2.json", "password"], secret.Data.Keys.Order());
            foreach (var (file, bytes) in secret.Data) Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "chainlab", "keys", file)), bytes);
            Assert.True(File.Exists(Path.Combine(dir, "chainlab", "keys", "dev1.json")));

            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "kube", "--nodes", "3", "--out", dir);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("--force", err);
            Assert.Equal(before, File.ReadAllText(Path.Combine(dir, DevnetKube.FileName)));
            (code, _, err) = await CliRunner.RunAsync(null, "devnet", "kube", "--nodes", "3", "--out", dir, "--force");
            Assert.True(code == 0, err);
            Assert.Equal(3, Load(File.ReadAllText(Path.Combine(dir, DevnetKube.FileName))).OfType<V1Pod>().Count());

            foreach (var (bad, says) in new (string[], string)[]
            {
                (["--nodes", "0"], "error: --nodes must be 1..32"),
                (["--consensus", "raft"], "error: --consensus must be one of"),
                (["--name", "Lab_1"], "error: --name 'Lab_1' must be"),
                (["--storage", "1GB"], "error: --storage '1GB' must be"),
                (["--host-port", "65535", "--nodes", "2"], "error: --host-port must be 0 (none) or leave room"),
                (["--host-port", "-1"], "error: --host-port must be 0 (none) or leave room"),
                (["--image", "a b"], "error: --image 'a b' is not an image name"),
            })
            {
                (code, _, err) = await CliRunner.RunAsync(null, ["devnet", "kube", "--out", dir + "x", .. bad]);
                Assert.Equal(ExitCodes.BadInput, code);
                Assert.StartsWith(says, err.Trim());
                Assert.DoesNotContain('\n', err.Trim());
            }
            Assert.False(Directory.Exists(dir + "x"));
        }
        finally { TempDir.Delete(dir); }
    }
}
