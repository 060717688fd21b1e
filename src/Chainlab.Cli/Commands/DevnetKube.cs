using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Chainlab.Cli.Devnets;
using Chainlab.Core.Model;
using Chainlab.Node.Hosting;

namespace Chainlab.Cli.Commands;

/// <summary>
/// chainlab devnet kube: the devnet on Kubernetes. Writes manifests for an existing cluster (kubectl apply) that
/// `podman kube play` also runs: a Pod per node with a stable name, a headless Service for the peers' DNS names,
/// a Service for the API, a ConfigMap with the chain spec, a Secret with the node keys, a volume claim per node.
/// </summary>
/// <remarks>
/// Pods, not a StatefulSet: Podman (Debian's 4.3) plays Pods, Deployments, ConfigMaps, Secrets and claims but
/// not StatefulSets, and one pod template cannot give each node its own key. A bare Pod with hostname and
/// subdomain gets the same DNS name a StatefulSet's pod would (name-i.name-peers), so one file serves both.
/// </remarks>
public static partial class DevnetKube
{
    public const string FileName = "kube.yaml";

    /// <summary>Where the pod sees the chain spec (the ConfigMap) and the keys (the Secret).</summary>
    public const string SpecDir = "/chainlab/spec", KeysDir = "/chainlab/keys";

    /// <summary>The route the probes ask (docs/api.md): it answers as soon as the node serves its API.</summary>
    public const string StatusPath = "/api/v1/status";

    /// <summary>The image's own user (Dockerfile: UID 10001).</summary>
    public const int ImageUid = 10001;

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[1-9][0-9]*(Mi|Gi|Ti)$")]
    private static partial Regex Quantity();

    public static Command Build()
    {
        var o = new ContainerDevnetOptions(FileName, Path.Combine(".chainlab", "kube"), "Node pods", " (a cluster must be able to pull it)",
            "Replace the manifests already in --out (a new chain: delete the old claims too)");
        var name = new Option<string>("--name") { Description = "Name of the network: pods NAME-0 … NAME-(N-1), Services NAME-peers and NAME-api", DefaultValueFactory = _ => "chainlab" };
        var storage = new Option<string>("--storage") { Description = "Size each node's volume claim asks for", DefaultValueFactory = _ => "1Gi" };
        var hostPort = new Option<int>("--host-port") { Description = "Also publish pod i's API (pods NAME-0 …) on 127.0.0.1:PORT+i of the machine that runs it (podman kube play; 0: not at all)" };
        var cmd = new Command("kube", "Write Kubernetes manifests for an N-node devnet (kubectl apply, podman kube play; see docs/containers.md)");
        foreach (var option in o.All) cmd.Options.Add(option);
        cmd.Options.Add(name);
        cmd.Options.Add(storage);
        cmd.Options.Add(hostPort);
        cmd.Options.Add(o.Force);
        cmd.SetAction(pr =>
        {
            var net = o.Check(pr);
            var network = pr.GetValue(name)!;
            if (network.Length > 40 || !DnsLabel().IsMatch(network))
                throw new CliException($"--name '{network}' must be 1..40 lower-case letters, digits and dashes, starting with a letter", ExitCodes.BadInput);
            var size = pr.GetValue(storage)!;
            if (!Quantity().IsMatch(size)) throw new CliException($"--storage '{size}' must be a size such as 512Mi or 1Gi", ExitCodes.BadInput);
            var port = pr.GetValue(hostPort);
            if (port < 0 || port > 0 && port + net.Settings.Nodes - 1 > 65535) throw new CliException("--host-port must be 0 (none) or leave room for every node below 65536", ExitCodes.BadInput);

            var spec = net.WriteChain(FileName, "a new chain: delete the old volume claims too");
            var keys = SecretKeys(net.Settings).ToDictionary(k => k, k => File.ReadAllBytes(Path.Combine(net.KeysDir, k)));
            var file = Path.Combine(net.Root, FileName);
            File.WriteAllText(file, Yaml(new KubeNetwork(network, net.Settings, net.Image, size, port), spec, keys));

            var last = $"{network}-{net.Settings.Nodes - 1}";
            Console.Out.WriteLine($"wrote {file}: {net.Settings.Nodes} pod(s) {network}-0 … {last}, {net.Settings.Consensus}, block time {net.BlockMs} ms");
            Console.Out.WriteLine($"image:       build {net.Image} from the repository and push it where the cluster pulls from");
            Console.Out.WriteLine($"start:       kubectl apply -f {file}");
            Console.Out.WriteLine($"API:         kubectl port-forward svc/{network}-api 7700:{ContainerPorts.Api}   (then http://127.0.0.1:7700/)");
            if (port > 0)
            {
                Console.Out.WriteLine($"or locally:  podman network create {network} && podman kube play --network {network} {file}   (pod i: http://127.0.0.1:{port}+i/)");
                Console.Out.WriteLine($"Podman 4.3:  it mounts the Secret still base64-encoded: create the secret {network}-keys yourself and play the file without it (docs/containers.md, \"With Podman\")");
            }
            Console.Out.WriteLine($"dev keys:    {net.KeysDir} (password: {DevnetGenesis.DevPassword})");
            return 0;
        });
        return cmd;
    }

    /// <summary>What goes into the Secret: the producers' keys (node.json, node2.json …) and their password; the dev accounts' keys stay on this machine.</summary>
    public static IReadOnlySet<string> SecretKeys(DevnetSettings settings) =>
        Enumerable.Range(1, settings.Nodes).Select(i => settings.KeyFile("", i)).OfType<string>().Select(f => Path.GetFileName(f)).Append("password").ToHashSet();

    /// <summary>The manifests, one YAML stream in the order kubectl should create them.</summary>
    /// <param name="keys">File name to content of every key in <see cref="SecretKeys"/>.</param>
    public static string Yaml(KubeNetwork net, ChainSpec spec, IReadOnlyDictionary<string, byte[]> keys)
    {
        var n = net.Name;
        var y = new StringBuilder();
        y.AppendLine($"# A Chainlab devnet: {net.Settings.Nodes} node(s), {net.Settings.Consensus}, block time {spec.BlockTimeMs} ms. Written by `chainlab devnet kube`.");
        y.AppendLine($"# On a cluster: kubectl apply -f {FileName} (the image must be pullable there). With Podman: podman kube play --network NET {FileName};");
        y.AppendLine($"# Podman 4.3 mounts the Secret still base64-encoded: there, create the secret {n}-keys first and play the rest (docs/containers.md).");
        y.AppendLine("# Pods rather than a StatefulSet, so that each node has its own key and Podman plays the same file (docs/containers.md).");
        y.AppendLine("# The keys in the Secret are devnet keys, encrypted with the password everyone knows: never put real keys here.");

        Header(y, "ConfigMap", $"{n}-spec", n);
        y.AppendLine("data:");
        y.AppendLine($"  {NodeCore.SpecFileName}: |");
        foreach (var line in spec.ToJson().Split('\n')) y.AppendLine("    " + line.TrimEnd('\r'));

        Header(y, "Secret", $"{n}-keys", n);
        y.AppendLine("type: Opaque");
        // data, not stringData: Podman 4.3 drops stringData from a secret it mounts.
        y.AppendLine("data:");
        foreach (var (file, bytes) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
            y.AppendLine($"  {file}: {Convert.ToBase64String(bytes)}");

        Header(y, "Service", $"{n}-peers", n);
        y.AppendLine("spec:");
        y.AppendLine("  clusterIP: None # headless: gives pod i the name " + $"{n}-i.{n}-peers");
        y.AppendLine("  publishNotReadyAddresses: true # peers find each other before their probes pass");
        Selector(y, n);
        y.AppendLine("  ports:");
        y.AppendLine($"  - {{ name: p2p, port: {ContainerPorts.P2P}, targetPort: {ContainerPorts.P2P} }}");

        Header(y, "Service", $"{n}-api", n);
        y.AppendLine("spec:");
        y.AppendLine("  type: ClusterIP");
        Selector(y, n);
        y.AppendLine("  ports:");
        y.AppendLine($"  - {{ name: api, port: {ContainerPorts.Api}, targetPort: {ContainerPorts.Api} }}");

        for (var i = 0; i < net.Settings.Nodes; i++)
        {
            Header(y, "PersistentVolumeClaim", $"{n}-data-{i}", n);
            y.AppendLine("spec:");
            y.AppendLine("  accessModes: [ReadWriteOnce]");
            y.AppendLine("  resources:");
            y.AppendLine("    requests:");
            y.AppendLine($"      storage: {net.Storage}");
        }

        for (var i = 0; i < net.Settings.Nodes; i++) Pod(y, net, i);
        return y.ToString();
    }

    private static void Header(StringBuilder y, string kind, string name, string network)
    {
        y.AppendLine("---");
        y.AppendLine("apiVersion: v1");
        y.AppendLine($"kind: {kind}");
        y.AppendLine("metadata:");
        y.AppendLine($"  name: {name}");
        y.AppendLine("  labels:");
        y.AppendLine("    app.kubernetes.io/name: chainlab");
        y.AppendLine($"    app.kubernetes.io/instance: {network}");
    }

    private static void Selector(StringBuilder y, string network)
    {
        y.AppendLine("  selector:");
        y.AppendLine("    app.kubernetes.io/name: chainlab");
        y.AppendLine($"    app.kubernetes.io/instance: {network}");
        y.AppendLine("    app.kubernetes.io/component: node");
    }

    /// <summary>Pod i (0-based) runs node i + 1: node 1 (pod 0) holds keys/node.json and is every other node's first peer.</summary>
    private static void Pod(StringBuilder y, KubeNetwork net, int i)
    {
        var n = net.Name;
        var args = ContainerDevnet.NodeArgs(net.Settings, i + 1, SpecDir, Path.GetDirectoryName(KeysDir)!);
        if (args.Contains("--key")) args.AddRange(["--password-file", $"{KeysDir}/password"]);
        // The cluster's name for pod 0 (through the headless Service), and Podman's (its network's DNS knows pods
        // by name): a name that does not resolve is only tried again on the next round of dials.
        if (i > 0) args.AddRange(["--bootstrap", $"{n}-0.{n}-peers:{ContainerPorts.P2P}", "--bootstrap", $"{n}-0:{ContainerPorts.P2P}"]);

        Header(y, "Pod", $"{n}-{i}", n);
        y.AppendLine("    app.kubernetes.io/component: node");
        y.AppendLine("spec:");
        y.AppendLine($"  hostname: {n}-{i}");
        y.AppendLine($"  subdomain: {n}-peers");
        y.AppendLine("  enableServiceLinks: false");
        y.AppendLine("  restartPolicy: Always");
        y.AppendLine("  securityContext:");
        y.AppendLine("    runAsNonRoot: true");
        y.AppendLine($"    runAsUser: {ImageUid}");
        y.AppendLine($"    runAsGroup: {ImageUid}");
        y.AppendLine($"    fsGroup: {ImageUid} # the claim's volume becomes writable by the node's user");
        y.AppendLine("  containers:");
        y.AppendLine("  - name: node");
        // Quoted: a plain YAML scalar cannot start with *, [, &, ! and the like, which an image name could.
        y.AppendLine($"    image: \"{net.Image.Replace("\\", "\\\\")}\"");
        y.AppendLine("    imagePullPolicy: IfNotPresent");
        y.AppendLine($"    args: [{string.Join(", ", args.Select(a => $"\"{a}\""))}]");
        // Ports listed only to publish the API on the loopback: Podman 4.3 publishes every listed port on all
        // the host's interfaces when it has no hostPort. The Services and probes name the ports by number.
        if (net.HostPort > 0)
        {
            y.AppendLine("    ports:");
            y.AppendLine("    - name: api");
            y.AppendLine($"      containerPort: {ContainerPorts.Api}");
            y.AppendLine($"      hostPort: {net.HostPort + i}");
            y.AppendLine("      hostIP: 127.0.0.1");
        }
        Probe(y, "readinessProbe", initialDelay: 2, period: 5, failures: 3);
        Probe(y, "livenessProbe", initialDelay: 30, period: 10, failures: 6);
        y.AppendLine("    securityContext:");
        y.AppendLine("      allowPrivilegeEscalation: false");
        y.AppendLine("    volumeMounts:");
        y.AppendLine($"    - {{ name: spec, mountPath: {SpecDir}, readOnly: true }}");
        y.AppendLine($"    - {{ name: keys, mountPath: {KeysDir}, readOnly: true }}");
        y.AppendLine("    - { name: data, mountPath: /data }");
        y.AppendLine("  volumes:");
        y.AppendLine("  - name: spec");
        y.AppendLine($"    configMap: {{ name: {n}-spec }}");
        y.AppendLine("  - name: keys");
        // optional: false said outright: Podman 4.3 fails on a secret volume that leaves it out.
        y.AppendLine($"    secret: {{ secretName: {n}-keys, optional: false }}");
        y.AppendLine("  - name: data");
        y.AppendLine($"    persistentVolumeClaim: {{ claimName: {n}-data-{i} }}");
    }

    private static void Probe(StringBuilder y, string kind, int initialDelay, int period, int failures)
    {
        y.AppendLine($"    {kind}:");
        y.AppendLine($"      httpGet: {{ path: {StatusPath}, port: {ContainerPorts.Api} }}");
        y.AppendLine($"      initialDelaySeconds: {initialDelay}");
        y.AppendLine($"      periodSeconds: {period}");
        y.AppendLine("      timeoutSeconds: 5");
        y.AppendLine($"      failureThreshold: {failures}");
    }
}

/// <summary>What the manifests are made from besides the chain: the network's name, its nodes, their image, the claim size and the optional loopback port.</summary>
public sealed record KubeNetwork(string Name, DevnetSettings Settings, string Image, string Storage = "1Gi", int HostPort = 0);
