using System.Text;
using Chainlab.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chainlab.Node.Tests.Dashboard;

/// <summary>
/// The dashboard as a user works it: Debian's Chromium against a real four-node devnet. Every step goes through
/// the page (clicks, typing, file pickers, downloads); the node's API and the CLI only set the scene and check
/// that what the page claims is so.
/// </summary>
[Trait("Category", Categories.Process)]
[Collection(Chainlab.Node.Tests.Network.RealTimeNetwork.Name)]
public sealed class DashboardTests(DashboardDevnet net) : IClassFixture<DashboardDevnet>
{
    static DashboardTests() => SetDefaultExpectTimeout(30_000);

    private async Task<IPage> OpenAsync(string route, int width = 1280, string? scheme = null)
    {
        var page = await net.Browser.NewPageAsync(width, 900, scheme);
        await page.GotoAsync($"{net.Url}/#/{route}");
        await Expect(page.Locator("main .page")).ToBeVisibleAsync();
        return page;
    }

    private async Task SignAsync(IPage page)
    {
        await Expect(page.Locator("#sign-dialog")).ToBeVisibleAsync();
        // The dialog shows the exact bytes: the domain tag first, then the transaction without its signature.
        Assert.StartsWith(Convert.ToHexStringLower(Encoding.ASCII.GetBytes("chainlab/tx/v1")) + "01", await page.Locator("#signing-bytes").TextContentAsync());
        await page.ClickAsync("#sign-confirm");
    }

    private async Task ImportDevKeyAsync(IPage page, string name)
    {
        await page.GotoAsync($"{net.Url}/#/wallet");
        await page.SetInputFilesAsync("#import-file", net.Devnet.KeyFile(name));
        await page.FillAsync("#import-password", "devnet");
        await page.ClickAsync("#import-key");
        await Expect(page.Locator("#wallet-address")).ToHaveTextAsync(net.Devnet.DevAddress(name));
    }

    [Fact]
    public async Task A_wallet_made_in_the_browser_receives_funds_and_sends_a_transfer_whose_proof_the_browser_checks()
    {
        var page = await OpenAsync("wallet");
        await page.FillAsync("#new-label", "browser");
        await page.FillAsync("#new-password", "browser-pass-1");
        await page.FillAsync("#new-password-again", "browser-pass-1");
        await page.ClickAsync("#create-key");
        await Expect(page.Locator("#wallet-address")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^cl"));
        var address = (await page.Locator("#wallet-address").TextContentAsync())!;

        var (code, stdout, stderr) = await CliRunner.RunAsync(DashboardDevnet.DevPassword, "tx", "send", "--node", net.Url, "--from", net.Devnet.KeyFile("dev1"),
            "--to", address, "--amount", "5000", "--wait");
        Assert.True(code == 0, stdout + stderr);
        await Expect(page.Locator("#wallet-balance")).ToHaveTextAsync("5,000"); // live, from the event stream

        var recipient = net.Devnet.DevAddress("dev2");
        var before = (await net.GetAsync($"/api/v1/accounts/{recipient}"))["balance"]!.GetValue<ulong>();
        await page.FillAsync("#send-to", recipient);
        await page.FillAsync("#send-amount", "1234");
        await page.ClickAsync("#send");
        await SignAsync(page);
        var sent = (await page.Locator("#sent-tx").GetAttributeAsync("href"))!.Split('/').Last();
        await page.ClickAsync("#sent-tx");
        await Expect(page.Locator("#tx-status")).ToHaveTextAsync("included");
        await Expect(page.Locator("#proof-check")).ToContainTextAsync("✔ inclusion proof");
        Assert.Equal(before + 1234, (await net.GetAsync($"/api/v1/accounts/{recipient}"))["balance"]!.GetValue<ulong>());
        Assert.Equal(5000UL - 1234 - 1, (await net.GetAsync($"/api/v1/accounts/{address}"))["balance"]!.GetValue<ulong>());

        // Its block: the transaction root recomputed in the browser matches; the account's state proof too.
        await page.Locator("main dd a[href^='#/block/']").First.ClickAsync();
        await Expect(page.Locator("#tx-root-check")).ToContainTextAsync("✔ transaction root recomputed from 1");
        await page.GotoAsync($"{net.Url}/#/account/{address}");
        await Expect(page.Locator("#state-check")).ToContainTextAsync("✔ state proof");
        // Its transactions: the one it received from dev1 and the one it sent, found by reading recent blocks.
        await Expect(page.Locator("#account-txs tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator($"#account-txs a[href='#/tx/{sent}']")).ToHaveCountAsync(1);
        await Expect(page.Locator("nav a[aria-current]")).ToHaveCountAsync(0); // an account is no tab's page
        Assert.Empty(net.Browser.ErrorsOf(page));
    }

    [Fact]
    public async Task A_CLI_key_file_imports_into_the_browser_and_a_key_file_the_browser_exports_signs_with_the_CLI()
    {
        var page = await OpenAsync("wallet");
        await ImportDevKeyAsync(page, "dev3");
        await Expect(page.Locator("#wallet-keys")).ToContainTextAsync("unlocked");

        // A wrong password is refused with the CLI's words, and nothing is kept.
        var other = await OpenAsync("wallet");
        await other.SetInputFilesAsync("#import-file", net.Devnet.KeyFile("dev4"));
        await other.FillAsync("#import-password", "not-the-password");
        await other.ClickAsync("#import-key");
        await Expect(other.Locator("#toasts")).ToContainTextAsync("wrong password (or the key file was altered)");
        await Expect(other.Locator("#wallet-keys")).ToContainTextAsync("nothing yet");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#wallet-keys button", new() { HasText = "export key file" }).ClickAsync());
        var exported = Path.Combine(TestNode.NewDir(), "exported.json");
        await download.SaveAsAsync(exported);
        var (code, stdout, stderr) = await CliRunner.RunAsync(DashboardDevnet.DevPassword, "tx", "send", "--node", net.Url, "--from", exported,
            "--to", net.Devnet.DevAddress("dev1"), "--amount", "7", "--wait");
        Assert.True(code == 0, stdout + stderr);
        Assert.Empty(net.Browser.ErrorsOf(page));
        Assert.Empty(net.Browser.ErrorsOf(other));
    }

    [Fact]
    public async Task A_contract_is_deployed_invoked_and_read_from_the_browser()
    {
        var page = await OpenAsync("wallet");
        await ImportDevKeyAsync(page, "dev4");
        await page.GotoAsync($"{net.Url}/#/contracts");
        await page.SetInputFilesAsync("#deploy-file", RepoFiles.Path("examples", "contracts", "token.lua"));
        await Expect(page.Locator("#deploy-code")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("function transfer"));
        await page.FillAsync("#deploy-args", "[\"Lab Coin\", \"LAB\", 1000000]");
        await page.ClickAsync("#deploy");
        await SignAsync(page);
        var contract = (await page.Locator("#deployed-address").TextContentAsync())!;
        await Eventually.True(async () => (await net.Http.GetAsync($"{net.Url}/api/v1/contracts/{contract}")).IsSuccessStatusCode, "the contract deployed", 60);

        await page.ClickAsync("#deployed-address");
        await Expect(page.Locator("#contract-storage")).ToContainTextAsync("Lab Coin");
        var recipient = net.Devnet.DevAddress("dev2");
        await page.FillAsync("#call-function", "transfer");
        await page.FillAsync("#call-args", $"[\"{recipient}\", 250]");
        await page.ClickAsync("#call-invoke");
        await SignAsync(page);
        await Expect(page.Locator("#call-result")).ToContainTextAsync("Invocation sent");
        var tx = (await page.Locator("#call-result a").GetAttributeAsync("href"))!.Split('/').Last();
        await net.IncludedAsync(tx);

        await page.FillAsync("#call-function", "balance_of");
        await page.FillAsync("#call-args", $"[\"{recipient}\"]");
        await page.ClickAsync("#call-view");
        await Expect(page.Locator("#call-result")).ToContainTextAsync("250");
        await page.ReloadAsync();
        await Expect(page.Locator("#contract-events")).ToContainTextAsync("Transfer");
        Assert.Empty(net.Browser.ErrorsOf(page));
    }

    [Fact]
    public async Task A_file_uploaded_in_the_browser_gets_a_CID_is_anchored_and_downloads_by_that_CID()
    {
        var page = await OpenAsync("wallet");
        await ImportDevKeyAsync(page, "dev1");
        await page.GotoAsync($"{net.Url}/#/files");
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i} of a file from the browser\n")));
        await page.SetInputFilesAsync("#upload-file", new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = content });
        await page.ClickAsync("#upload");
        await Expect(page.Locator("#uploaded-cid")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Qm"));
        Assert.Equal(100, await page.EvalOnSelectorAsync<int>("#upload-progress", "p => p.value"));
        var cid = (await page.Locator("#uploaded-cid").TextContentAsync())!;

        await page.Locator("#upload-result #anchor").ClickAsync();
        await SignAsync(page);
        await Eventually.True(async () => (await net.GetAsync($"/api/v1/files?anchoredBy={net.Devnet.DevAddress("dev1")}"))["anchors"]!.AsArray()
            .Any(a => a!["file"]!["cid"]!.GetValue<string>() == cid), "the anchor in a block", 60);

        // Another node serves the page too: it fetches the file from the network and offers it by CID.
        await page.GotoAsync($"{net.Devnet.Url(2)}/#/file/{cid}");
        await Expect(page.Locator("#download-link")).ToBeVisibleAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-link"));
        var saved = Path.Combine(TestNode.NewDir(), "notes.txt");
        await download.SaveAsAsync(saved);
        Assert.Equal(content, await File.ReadAllBytesAsync(saved));
        Assert.Empty(net.Browser.ErrorsOf(page));
    }

    [Fact]
    public async Task The_network_page_shows_every_node_and_the_pages_keep_working_when_one_dies()
    {
        Assert.Contains($"dashboard {net.Url}/", net.Devnet.Output); // devnet up prints where the dashboard is
        var network = await OpenAsync("network");
        foreach (var n in new[] { "node1", "node2", "node3", "node4" })
            await Expect(network.Locator($"#network-graph [data-name='{n}'][data-up='true']")).ToBeVisibleAsync();
        await Expect(network.Locator("#network-table tbody tr")).ToHaveCountAsync(4);

        // A page served by the node about to die.
        var served3 = await net.Browser.NewPageAsync();
        await served3.GotoAsync($"{net.Devnet.Url(3)}/#/");
        await Expect(served3.Locator("#head-height")).ToBeVisibleAsync();

        var lab = await OpenAsync("adversary");
        await lab.FillAsync("#devnet-token", (await File.ReadAllTextAsync(Path.Combine(net.Devnet.Root, "keys", "control-token"))).Trim());
        await lab.FillAsync("#fault-nodes", "3");
        await lab.ClickAsync("button[data-action='kill']");
        await Expect(lab.Locator("#timeline")).ToContainTextAsync("kill node 3");
        try
        {
            await Expect(network.Locator("#network-graph [data-name='node3'][data-up='false']")).ToBeVisibleAsync();
            await Expect(network.Locator("#network-graph [data-name='node2'][data-up='true']")).ToBeVisibleAsync();
            // The rest goes on: the overview's head keeps rising and blocks open.
            var overview = await OpenAsync("");
            var first = ulong.Parse((await overview.Locator("#head-height").TextContentAsync())!.Replace(",", ""));
            await Eventually.True(async () => ulong.Parse((await overview.Locator("#head-height").TextContentAsync())!.Replace(",", "")) > first + 1, "the head rising on the overview", 30);
            await overview.GotoAsync($"{net.Url}/#/block/{first}");
            await Expect(overview.Locator("#tx-root-check")).ToContainTextAsync("✔");
            Assert.Empty(net.Browser.ErrorsOf(overview));
            // The page whose node died reads from a sibling now, says so, and its head goes on rising.
            // The first sibling in order that answers within 3 s: node 1, or node 2 when node 1 is slow on a loaded machine.
            await Expect(served3.Locator("#live")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex($"live · node :({net.Devnet.Port}|{net.Devnet.Port + 1}|{net.Devnet.Port + 3})$"));
            var before = ulong.Parse((await served3.Locator("#head-height").TextContentAsync())!.Replace(",", ""));
            await Eventually.True(async () => ulong.Parse((await served3.Locator("#head-height").TextContentAsync())!.Replace(",", "")) > before + 1, "the head rising on the orphaned page", 30);
        }
        finally
        {
            await lab.ClickAsync("button[data-action='restart']");
        }
        await Expect(lab.Locator("#timeline")).ToContainTextAsync("restart node 3");
        await Expect(network.Locator("#network-graph [data-name='node3'][data-up='true']")).ToBeVisibleAsync();
        // The browser logs the refused connections to the dead node and its broken event stream; nothing else may go wrong.
        var port = net.Devnet.Port + 2;
        var unexpected = net.Browser.ErrorsOf(network).Concat(net.Browser.ErrorsOf(lab)).Concat(net.Browser.ErrorsOf(served3))
            .Where(e => !e.Contains($"(http://127.0.0.1:{port}/api/v1/") || !e.Contains("Failed to load resource: net::ERR_")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    [Fact]
    public async Task Every_page_fits_a_phone_in_dark_mode_without_console_errors_and_the_search_box_works_from_the_keyboard()
    {
        var page = await OpenAsync("", 375, "dark");
        foreach (var route in new[] { "", "blocks", "block/1", "network", "consensus", "contracts", "files", "adversary", "wallet", $"account/{net.Devnet.DevAddress("dev2")}" })
        {
            await page.GotoAsync($"{net.Url}/#/{route}");
            await Expect(page.Locator($"main .page[data-page='{(route.Length == 0 ? "overview" : route.Split('/')[0])}']")).ToBeVisibleAsync();
            var width = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
            Assert.True(width <= 375, $"#/{route} is {width} px wide at a 375 px viewport");
        }
        Assert.Equal("rgb(15, 19, 24)", await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor"));

        // Keyboard only, from a fresh load: Tab past the skip link and the brand to the search box, type a height, Enter.
        await page.GotoAsync("about:blank");
        await page.GotoAsync($"{net.Url}/#/");
        await Expect(page.Locator("main .page")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("q", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.Keyboard.TypeAsync("2");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Block 2");
        // A hash goes where the node says it belongs.
        var hash = (await net.GetAsync("/api/v1/blocks/1"))["header"]!["hash"]!.GetValue<string>();
        await page.FillAsync("#q", hash);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Block 1");
        Assert.Empty(net.Browser.ErrorsOf(page));
    }

    [Fact]
    public async Task Every_page_renders_for_a_user_with_a_key_and_is_captured()
    {
        var page = await OpenAsync("wallet", 1280);
        await ImportDevKeyAsync(page, "dev2");
        var (code, stdout, stderr) = await CliRunner.RunAsync(DashboardDevnet.DevPassword, "tx", "send", "--node", net.Url, "--from", net.Devnet.KeyFile("dev1"),
            "--to", net.Devnet.DevAddress("dev2"), "--amount", "42", "--wait", "--json");
        Assert.True(code == 0, stdout + stderr);
        var tx = System.Text.Json.Nodes.JsonNode.Parse(stdout)!["hash"]!.GetValue<string>();
        var height = (await net.GetAsync($"/api/v1/transactions/{tx}"))["blockHeight"]!.GetValue<ulong>();
        foreach (var (route, name, ready) in new[]
        {
            ("", "overview", "#block-feed li"), ("blocks", "blocks", "#blocks-table tbody tr"), ($"block/{height}", "block", "#tx-root-check"),
            ($"tx/{tx}", "transaction", "#proof-check"), ($"account/{net.Devnet.DevAddress("dev2")}", "account", "#state-check"),
            ("network", "network", "#network-graph [data-up='true']"), ("consensus", "consensus-poa", "#authorities"), ("contracts", "contracts", "#deploy"),
            ("files", "files", "#kept-files"), ("adversary", "adversary", "#verdicts li"), ("wallet", "wallet", "#wallet-balance"),
        })
        {
            await page.GotoAsync($"{net.Url}/#/{route}");
            await Expect(page.Locator(ready).First).ToBeVisibleAsync();
            await Screenshots.TakeAsync(page, name);
        }
        var phone = await net.Browser.NewPageAsync(375, 800, "dark");
        await phone.GotoAsync($"{net.Url}/#/tx/{tx}");
        await Expect(phone.Locator("#proof-check")).ToContainTextAsync("✔");
        await Screenshots.TakeAsync(phone, "phone-dark-transaction");
        Assert.Empty(net.Browser.ErrorsOf(page));
        Assert.Empty(net.Browser.ErrorsOf(phone));
    }

    [Fact]
    public async Task The_adversary_page_gives_a_node_a_misbehaviour_and_runs_a_scenario_whose_verdicts_it_shows()
    {
        var lab = await OpenAsync("adversary");
        await lab.FillAsync("#devnet-token", (await File.ReadAllTextAsync(Path.Combine(net.Devnet.Root, "keys", "control-token"))).Trim());
        await lab.SelectOptionAsync("#misbehave-node", "4");
        await lab.SelectOptionAsync("#misbehave-names", ["invalid-tx"]);
        await lab.ClickAsync("button[data-action='misbehave']");
        await Expect(lab.Locator("#timeline")).ToContainTextAsync("restart node 4 misbehaving: invalid-tx");
        Assert.Equal("invalid-tx", (await net.GetAsync("/api/v1/status", 4))["misbehaving"]![0]!.GetValue<string>());
        await lab.SelectOptionAsync("#misbehave-names", Array.Empty<string>());
        await lab.ClickAsync("button[data-action='misbehave']");
        await Expect(lab.Locator("#timeline")).ToContainTextAsync("restart node 4 honest");
        Assert.Empty((await net.GetAsync("/api/v1/status", 4))["misbehaving"]!.AsArray());

        // A wrong token is refused and said so.
        await lab.FillAsync("#devnet-token", new string('0', 64));
        await lab.ClickAsync("#scenario-load");
        await Expect(lab.Locator("#toasts")).ToContainTextAsync("token");
        await lab.FillAsync("#devnet-token", (await File.ReadAllTextAsync(Path.Combine(net.Devnet.Root, "keys", "control-token"))).Trim());
        await lab.ClickAsync("#scenario-load");
        await lab.SelectOptionAsync("#scenario-name", "invalid-tx");
        await lab.ClickAsync("#scenario-start");
        await Expect(lab.Locator("#timeline")).ToContainTextAsync("scenario invalid-tx started");
        await Expect(lab.Locator("#scenario-outcome")).ToBeVisibleAsync(new() { Timeout = 150_000 });
        var report = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(net.Devnet.Root, "scenario-runs", "invalid-tx", "report.json")))!;
        Assert.Equal(report["passed"]!.GetValue<bool>() ? "PASSED" : "FAILED", await lab.Locator("#scenario-outcome").TextContentAsync());
        await Expect(lab.Locator("#scenario-verdicts tbody tr")).ToHaveCountAsync(report["verdicts"]!.AsArray().Count);
        // The scenario itself (run only here in the suite; ScenarioTests runs it with bans off): every honest node bans the relayer.
        Assert.True(report["passed"]!.GetValue<bool>(), report.ToJsonString());
        Assert.Contains("banned node4", report["verdicts"]!.AsArray().Single(v => v!["check"]!.GetValue<string>() == "malicious-banned")!["evidence"]!.GetValue<string>());
        await Expect(lab.Locator("#scenario-verdicts")).ToContainTextAsync("banned node4");
        // The browser logs the refused wrong token, and the refused connections to node 4 while it restarted.
        var unexpected = net.Browser.ErrorsOf(lab).Where(e => !e.Contains("status of 401") && !(e.Contains($"(http://127.0.0.1:{net.Devnet.Port + 3}/api/v1/") && e.Contains("Failed to load resource: net::ERR_"))).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    [Fact]
    public async Task A_fresh_browser_key_gets_its_first_coins_from_the_faucet_button_and_a_second_drip_at_once_is_refused_with_the_nodes_reason()
    {
        var page = await OpenAsync("wallet");
        await page.FillAsync("#new-password", "faucet-pass-1");
        await page.FillAsync("#new-password-again", "faucet-pass-1");
        await page.ClickAsync("#create-key");
        await Expect(page.Locator("#wallet-address")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^cl"));
        await Expect(page.Locator("#wallet-balance")).ToHaveTextAsync("0");
        await page.ClickAsync("#faucet");
        await Expect(page.Locator("#faucet-result")).ToContainTextAsync("the faucet sent 1,000,000,000");
        await Expect(page.Locator("#wallet-balance")).ToHaveTextAsync("1,000,000,000"); // live, once the drip is in a block
        await page.ClickAsync("#faucet");
        await Expect(page.Locator("#toasts")).ToContainTextAsync("one drip per address every 60 s");
        // The browser logs the 429 it was answered.
        Assert.All(net.Browser.ErrorsOf(page), e => Assert.Contains("429", e));
    }

    [Fact]
    public async Task The_learn_page_runs_a_lesson_to_its_end_and_plays_a_challenge_whose_goal_it_checks_from_chain_state()
    {
        var learn = await OpenAsync("learn");
        learn.Dialog += async (_, d) => await d.AcceptAsync(); // "Show the solution?"
        await learn.FillAsync("#learn-token", (await File.ReadAllTextAsync(Path.Combine(net.Devnet.Root, "keys", "control-token"))).Trim());
        await learn.ClickAsync("#lab-load");

        // A lesson, run beside the devnet: every step done, every check ticked, as the CLI's run says.
        var lesson = Chainlab.Cli.Lessons.Lesson.Read(RepoFiles.Path("lessons", "contract-gas-and-sandbox.md"));
        await learn.SelectOptionAsync("#lesson-name", lesson.Name);
        await learn.ClickAsync("#lesson-start");
        await Expect(learn.Locator("#lesson-outcome")).ToHaveTextAsync("PASSED", new() { Timeout = 180_000 });
        var checks = lesson.Steps.Sum(x => x.Checks.Count);
        Assert.Equal(checks.ToString(), await learn.Locator("#lesson-progress").GetAttributeAsync("value"));
        await Expect(learn.Locator("#lesson-steps > li[data-state='done']")).ToHaveCountAsync(lesson.Steps.Count);
        await Expect(learn.Locator("#lesson-steps")).ToContainTextAsync("✔ the loop ran out of gas");
        // The lesson's figure (its plot.json): a line of head heights over time for each of its nodes.
        await Expect(learn.Locator("#lesson-plot[data-kind='heights'] svg polyline[data-node]")).ToHaveCountAsync(lesson.Front.Nodes);
        await Screenshots.TakeAsync(learn, "learn-lesson");

        // A challenge: set up, not solved; a hint; the player's two calls (the CLI, against the challenge's own
        // devnet); solved, read from that chain's state.
        await learn.SelectOptionAsync("#challenge-name", "open-vault");
        await learn.ClickAsync("#challenge-start");
        await Expect(learn.Locator("#challenge-state")).ToHaveTextAsync("ready: your move", new() { Timeout = 120_000 });
        await learn.ClickAsync("#challenge-check");
        await Expect(learn.Locator("#challenge-outcome")).ToHaveTextAsync("Not yet.");
        await Expect(learn.Locator("#challenge-checked")).ToContainTextAsync("✗ the vault is empty");
        await learn.ClickAsync("#challenge-hint");
        await Expect(learn.Locator("#challenge-hints li")).ToHaveCountAsync(1);
        Assert.Equal(0, await learn.Locator("#challenge-solution-text").CountAsync());
        var vault = (await learn.Locator("[data-contract='vault']").TextContentAsync())!;
        var api = (await learn.Locator("#challenge-devnet").GetAttributeAsync("href"))!.Split("/#")[0];
        var keys = Path.Combine(net.Devnet.Root, "challenge-runs", "open-vault", "keys");
        var dev2 = Chainlab.Core.Wallet.Keystore.ReadPublic(File.ReadAllText(Path.Combine(keys, "dev2.json"))).Address;
        foreach (var (fn, args) in new[] { ("set_owner", $"[\"{dev2}\"]"), ("withdraw", "[5000]") })
        {
            var (code, o, e) = await CliRunner.RunAsync(null, "contract", "invoke", vault, fn, args, "--node", api, "--from", Path.Combine(keys, "dev2.json"),
                "--password-file", Path.Combine(keys, "password"), "--wait");
            Assert.True(code == 0, o + e);
        }
        await learn.ClickAsync("#challenge-check");
        await Expect(learn.Locator("#challenge-outcome")).ToHaveTextAsync("Solved.");
        await Screenshots.TakeAsync(learn, "learn-challenge");
        await learn.ClickAsync("#challenge-solution");
        await Expect(learn.Locator("#challenge-solution-text")).ToContainTextAsync("set_owner");
        await learn.ClickAsync("#lab-stop");
        await Expect(learn.Locator("#challenge-state")).ToContainTextAsync("stopped", new() { Timeout = 90_000 });
        Assert.Empty(net.Browser.ErrorsOf(learn));
    }

    [Fact]
    public async Task Stake_is_signed_in_the_browser_and_an_authority_change_by_a_key_that_is_not_the_admin_is_refused_with_the_nodes_reason()
    {
        var page = await OpenAsync("wallet");
        await ImportDevKeyAsync(page, "dev3");
        await page.GotoAsync($"{net.Url}/#/consensus");
        await page.FillAsync("#stake-amount", "-5");
        await page.ClickAsync("#stake");
        await Expect(page.Locator("#toasts")).ToContainTextAsync("the amount is a whole number of base units");
        await page.FillAsync("#stake-amount", "2500");
        await page.ClickAsync("#stake");
        await SignAsync(page);
        await Expect(page.Locator("#tx-status")).ToHaveTextAsync("included", new() { Timeout = 60_000 });
        var staker = await net.GetAsync($"/api/v1/accounts/{net.Devnet.DevAddress("dev3")}");
        Assert.True(staker["stake"]!.GetValue<ulong>() >= 2500, $"{staker} after {page.Url}: {await page.Locator("main").TextContentAsync()}");

        // The admin is node 1's key: a dev key's change is signed and sent, and the node refuses it for that reason.
        await page.GotoAsync($"{net.Url}/#/consensus");
        await page.FillAsync("#authority-key", new string('a', 64));
        await page.Locator("#authority-key").PressAsync("Tab");
        await page.ClickAsync("#authority-send");
        await SignAsync(page);
        await Expect(page.Locator("#toasts")).ToContainTextAsync("only the admin key may change the authorities");
        Assert.Single((await net.GetAsync("/api/v1/status"))["engine"]!["authorities"]!.AsArray());
        Assert.DoesNotContain(net.Browser.ErrorsOf(page), e => !e.Contains("status of 403"));
    }
}
