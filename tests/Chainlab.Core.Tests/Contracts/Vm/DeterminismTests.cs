using Chainlab.Contracts;
using Chainlab.TestSupport;

namespace Chainlab.Core.Tests.Contracts.Vm;

/// <summary>
/// A contract call's gas, result, events and state root are a function of its code and inputs alone: the same in
/// fresh VMs, in any order, and in separate processes (each with its own hash seeds, addresses and timing).
/// </summary>
public sealed class DeterminismTests
{
    private static string RunLine(string name, string code, ulong gas = 20_000_000) =>
        ContractRunner.Run(name, System.Text.Encoding.UTF8.GetBytes(code), "main", [], gas).Line();

    [Fact]
    public void Every_corpus_contract_gives_the_same_record_in_fresh_vms_and_in_any_order()
    {
        var first = ContractCorpus.Programs.Select(p => RunLine(p.Name, p.Code)).ToList();
        var reversed = ContractCorpus.Programs.Reverse().Select(p => RunLine(p.Name, p.Code)).Reverse().ToList();
        Assert.Equal(first, reversed);
    }

    [Fact]
    public void The_key_deletion_pattern_that_split_the_old_sandbox_costs_the_same_gas_every_time()
    {
        var (_, code) = ContractCorpus.Programs.Single(p => p.Name == "key-deletion.lua");
        var gas = Enumerable.Range(0, 10).Select(_ => ContractRunner.Run("k", System.Text.Encoding.UTF8.GetBytes(code), "main", [], 20_000_000)).ToList();
        Assert.All(gas, r => Assert.True(r.Ok, r.Error));
        Assert.Single(gas.Select(r => r.GasUsed).Distinct());
        Assert.Single(gas.Select(r => r.StateRoot).Distinct());
    }

    [Fact]
    public void The_hostile_corpus_entries_stop_with_their_expected_errors()
    {
        var byName = ContractCorpus.Programs.ToDictionary(p => p.Name, p => ContractRunner.Run(p.Name, System.Text.Encoding.UTF8.GetBytes(p.Code), "main", [], 20_000_000));
        Assert.StartsWith("out of gas", byName["out-of-gas.lua"].Error);
        Assert.StartsWith("out of memory", byName["out-of-memory.lua"].Error);
        Assert.Contains("stack overflow", byName["deep-recursion.lua"].Error);
        Assert.StartsWith("out of gas", byName["pattern-bomb.lua"].Error);
        Assert.True(byName["empty-rep.lua"].Ok, byName["empty-rep.lua"].Error);
        Assert.Contains("more than the limit", byName["dag-return.lua"].Error);
        foreach (var ok in new[] { "key-deletion.lua", "key-churn.lua", "holes.lua", "garbage.lua", "floats.lua", "errors.lua", "strings.lua", "closures.lua", "storage.lua" })
            Assert.True(byName[ok].Ok, $"{ok}: {byName[ok].Error}");
    }

    [Fact]
    public void Random_programs_give_identical_records_in_fresh_vms()
    {
        var failed = 0;
        for (var seed = 1; seed <= 150; seed++)
        {
            var code = LuaProgramGenerator.Generate(seed);
            var a = ContractRunner.Run($"gen{seed}", System.Text.Encoding.UTF8.GetBytes(code), "main", [], 20_000_000);
            var b = ContractRunner.Run($"gen{seed}", System.Text.Encoding.UTF8.GetBytes(code), "main", [], 20_000_000);
            Assert.Equal(a.Line(), b.Line());
            if (!a.Ok) failed++;
        }
        // The generator writes programs that run; a few may stop on purpose-free errors, most must not.
        Assert.True(failed <= 5, $"{failed} of 150 generated programs failed");
    }

    [Fact]
    [Trait("Category", Categories.Process)]
    public async Task Corpus_and_random_programs_give_byte_identical_records_in_three_separate_processes_and_orders()
    {
        var dir = Directory.CreateTempSubdirectory("chainlab-determinism-");
        try
        {
            var files = new List<string>();
            foreach (var (name, code) in ContractCorpus.Programs) { files.Add(Path.Combine(dir.FullName, name)); File.WriteAllText(files[^1], code); }
            for (var seed = 1; seed <= 60; seed++) { files.Add(Path.Combine(dir.FullName, $"gen{seed:000}.lua")); File.WriteAllText(files[^1], LuaProgramGenerator.Generate(seed)); }
            var expected = string.Concat(files.Select(f => RunLine(Path.GetFileName(f), File.ReadAllText(f)) + "\n"));
            var runs = await Task.WhenAll(
                CliRunner.RunAsync(null, ["contract", "run", "--order", "given", .. files]),
                CliRunner.RunAsync(null, ["contract", "run", "--order", "reverse", .. files]),
                CliRunner.RunAsync(null, ["contract", "run", "--order", "shuffle:7", "--repeat", "2", .. files]));
            foreach (var (code, stdout, stderr) in runs)
            {
                Assert.True(code == 0, stderr);
                Assert.Equal(expected, stdout.Replace("\r\n", "\n"));
            }
        }
        finally { dir.Delete(recursive: true); }
    }
}
