using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

/// <summary>
/// CIDs as kubo's `ipfs add` makes them. The expected values come from an independent implementation
/// (vectors/unixfs.json, made by vectors/generate.mjs) and from CIDs published in the IPFS docs.
/// </summary>
public sealed class UnixFsTests
{
    private static readonly JsonObject Vectors = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Files", "vectors", "unixfs.json")))!.AsObject();

    public static TheoryData<long> Sizes()
    {
        var d = new TheoryData<long>();
        foreach (var f in Vectors["files"]!.AsArray()) d.Add(f!["size"]!.GetValue<long>());
        return d;
    }

    private static async Task<(ImportedNode Node, MemoryBlocks Blocks)> Add(Stream content, ImportOptions options)
    {
        var blocks = new MemoryBlocks();
        var node = await UnixFsImporter.AddFileAsync(content, blocks, options);
        return (node, blocks);
    }

    private static Task<(ImportedNode Node, MemoryBlocks Blocks)> Add(string text, ImportOptions options) => Add(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), options);

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task A_file_gets_the_CID_kubo_gives_it_in_both_versions_and_reads_back_byte_for_byte(long size)
    {
        var vector = Vectors["files"]!.AsArray().Single(f => f!["size"]!.GetValue<long>() == size)!;
        var seed = vector["seed"]!.GetValue<int>();
        foreach (var (options, expected) in new[] { (ImportOptions.V0, vector["v0"]!.GetValue<string>()), (ImportOptions.V1, vector["v1"]!.GetValue<string>()) })
        {
            var (node, blocks) = await Add(new PatternStream(size, seed), options);
            Assert.Equal(expected, node.Cid.ToString());
            Assert.Equal((ulong)size, node.FileSize);
            Assert.Equal((ulong)size, (await UnixFsReader.StatAsync(node.Cid, blocks, default)).Size);

            var read = new HashingStream();
            await UnixFsReader.WriteFileAsync(node.Cid, blocks, read, default);
            var original = new HashingStream();
            await new PatternStream(size, seed).CopyToAsync(original);
            Assert.Equal(original.Digest(), read.Digest());
        }
    }

    [Fact]
    public async Task Published_CIDs_hello_world_the_empty_file_and_the_empty_directory()
    {
        Assert.Equal("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", (await Add("hello world\n", ImportOptions.V0)).Node.Cid.ToString());
        Assert.Equal(Vectors["hello"]!["v1"]!.GetValue<string>(), (await Add("hello world\n", ImportOptions.V1)).Node.Cid.ToString());
        Assert.Equal("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", (await Add("", ImportOptions.V0)).Node.Cid.ToString());
        Assert.Equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", (await Add("", ImportOptions.V1)).Node.Cid.ToString());
        var empty = await UnixFsImporter.AddDirectoryAsync([], new MemoryBlocks(), ImportOptions.V0);
        Assert.Equal("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", empty.Cid.ToString());
    }

    /// <summary>The tree generate.mjs imports: files, an empty file, nested and empty directories, names that sort by byte.</summary>
    private static async Task<ImportedNode> AddTree(MemoryBlocks blocks, ImportOptions o)
    {
        async Task<ImportedNode> File(Stream s) => await UnixFsImporter.AddFileAsync(s, blocks, o);
        var deeper = await UnixFsImporter.AddDirectoryAsync([("d", await File(new MemoryStream("d"u8.ToArray())))], blocks, o);
        var sub = await UnixFsImporter.AddDirectoryAsync([("deeper", deeper), ("c.bin", await File(new PatternStream(5, 1)))], blocks, o);
        var nothing = await UnixFsImporter.AddDirectoryAsync([], blocks, o);
        return await UnixFsImporter.AddDirectoryAsync([
            ("b.txt", await File(new MemoryStream("hello world\n"u8.ToArray()))),
            ("A.bin", await File(new PatternStream(300000, 9))),
            ("empty", await File(new MemoryStream())),
            ("sub", sub),
            ("nothing", nothing),
        ], blocks, o);
    }

    [Fact]
    public async Task A_directory_gets_the_CID_ipfs_add_r_gives_it_and_its_paths_resolve()
    {
        var blocks = new MemoryBlocks();
        var root = await AddTree(blocks, ImportOptions.V0);
        Assert.Equal(Vectors["directory"]!["v0"]!.GetValue<string>(), root.Cid.ToString());
        Assert.Equal(Vectors["directory"]!["v1"]!.GetValue<string>(), (await AddTree(new MemoryBlocks(), ImportOptions.V1)).Cid.ToString());

        var dir = await UnixFsReader.StatAsync(root.Cid, blocks, default);
        Assert.Equal(EntryKind.Directory, dir.Kind);
        Assert.Equal(["A.bin", "b.txt", "empty", "nothing", "sub"], dir.Links.Select(l => l.Name)); // by bytes: upper case first
        var d = await UnixFsReader.ResolveAsync(root.Cid, ["sub", "deeper", "d"], blocks, default);
        Assert.Equal((EntryKind.File, 1UL), (d.Kind, d.Size));
        var text = new MemoryStream();
        await UnixFsReader.WriteFileAsync((await UnixFsReader.ResolveAsync(root.Cid, ["b.txt"], blocks, default)).Cid, blocks, text, default);
        Assert.Equal("hello world\n", System.Text.Encoding.UTF8.GetString(text.ToArray()));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => UnixFsReader.ResolveAsync(root.Cid, ["sub", "missing"], blocks, default));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => UnixFsReader.ResolveAsync(root.Cid, ["b.txt", "below-a-file"], blocks, default));
    }

    [Fact]
    public async Task A_directory_kubo_would_shard_is_refused_and_entry_names_are_checked()
    {
        var leaf = (await Add("x", ImportOptions.V0)).Node;
        var many = Enumerable.Range(0, 6000).Select(i => ($"entry-{i:D6}", leaf)).ToList(); // 6000 × (12 + 34) bytes > 256 KiB
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => UnixFsImporter.AddDirectoryAsync(many, new MemoryBlocks(), ImportOptions.V0));
        Assert.Contains("HAMT", e.Message);
        await UnixFsImporter.AddDirectoryAsync(many.Take(5000).ToList(), new MemoryBlocks(), ImportOptions.V0); // 230,000 bytes: under it
        foreach (var bad in new[] { "", "a/b", ".", ".." })
            await Assert.ThrowsAsync<ArgumentException>(() => UnixFsImporter.AddDirectoryAsync([(bad, leaf)], new MemoryBlocks(), ImportOptions.V0));
        await Assert.ThrowsAsync<ArgumentException>(() => UnixFsImporter.AddDirectoryAsync([("a", leaf), ("a", leaf)], new MemoryBlocks(), ImportOptions.V0));
    }

    [Fact]
    public async Task A_file_of_repeated_chunks_is_stored_and_walked_with_each_block_once()
    {
        var zeros = new MemoryStream(new byte[3 * ImportOptions.DefaultChunkSize]);
        var (node, blocks) = await Add(zeros, ImportOptions.V0);
        Assert.Equal(2, blocks.Blocks.Count); // one leaf for all three chunks, and the root
        var walked = new List<Cid>();
        await foreach (var (cid, _) in UnixFsReader.WalkAsync(node.Cid, blocks, entityOnly: false)) walked.Add(cid);
        Assert.Equal([node.Cid, blocks.Blocks.Keys.Single(k => k != node.Cid)], walked);
        var read = new HashingStream();
        await UnixFsReader.WriteFileAsync(node.Cid, blocks, read, default);
        Assert.Equal(3L * ImportOptions.DefaultChunkSize, read.Written);
    }

    [Fact]
    public async Task Reading_finds_missing_blocks_lying_sizes_and_DAGs_past_the_caps()
    {
        var (node, blocks) = await Add(new PatternStream(3 * ImportOptions.DefaultChunkSize + 1, 2), ImportOptions.V0);
        var root = PbNode.Decode(blocks.Blocks[node.Cid]);

        var missing = new MemoryBlocks();
        foreach (var (k, v) in blocks.Blocks.Where(b => b.Key != root.Links[1].Hash)) missing.Blocks[k] = v;
        var gone = await Assert.ThrowsAsync<BlockMissingException>(() => UnixFsReader.WriteFileAsync(node.Cid, missing, Stream.Null, default));
        Assert.Equal(root.Links[1].Hash, gone.Cid);

        // A root that claims one byte more for its first child than that child holds.
        var fs = UnixFsData.Decode(root.Data);
        var lying = new PbNode(root.Links, (fs with { BlockSizes = [fs.BlockSizes[0] + 1, .. fs.BlockSizes.Skip(1)], FileSize = fs.FileSize + 1 }).Encode()).Encode();
        var lyingCid = Cid.Of(0, Cid.DagPb, lying);
        blocks.Blocks[lyingCid] = lying;
        var e = await Assert.ThrowsAsync<FormatException>(() => UnixFsReader.WriteFileAsync(lyingCid, blocks, Stream.Null, default));
        Assert.Contains("holds", e.Message);

        // A chain of single-child file nodes deeper than the cap.
        var deep = new MemoryBlocks();
        var at = (await UnixFsImporter.AddFileAsync(new MemoryStream([1]), deep, ImportOptions.V0));
        for (var i = 0; i < 10; i++)
        {
            var b = new PbNode([new PbLink(at.Cid, "", at.Tsize)], new UnixFsData(UnixFsType.File, null, 1, [1]).Encode()).Encode();
            at = new ImportedNode(Cid.Of(0, Cid.DagPb, b), 1, at.Tsize + (ulong)b.Length);
            deep.Blocks[at.Cid] = b;
        }
        await UnixFsReader.WriteFileAsync(at.Cid, deep, Stream.Null, default);
        await Assert.ThrowsAsync<FormatException>(() => UnixFsReader.WriteFileAsync(at.Cid, deep, Stream.Null, default, new DagLimits { MaxDepth = 5 }));
        await Assert.ThrowsAsync<FormatException>(() => UnixFsReader.WriteFileAsync(at.Cid, deep, Stream.Null, default, new DagLimits { MaxBlocks = 5 }));
        await Assert.ThrowsAsync<FormatException>(async () => { await foreach (var _ in UnixFsReader.WalkAsync(at.Cid, deep, false, new DagLimits { MaxDepth = 5 })) { } });
    }

    [Fact]
    public async Task The_CAR_of_a_file_is_byte_for_byte_the_reference_one_and_reads_back()
    {
        var (node, blocks) = await Add("hello world\n", ImportOptions.V0);
        var car = new MemoryStream();
        await Car.WriteHeaderAsync(car, [node.Cid], default);
        await foreach (var (cid, block) in UnixFsReader.WalkAsync(node.Cid, blocks, false)) await Car.WriteBlockAsync(car, cid, block, default);
        Assert.Equal(Vectors["helloCar"]!.GetValue<string>(), Convert.ToHexStringLower(car.ToArray()));

        car.Position = 0;
        Assert.Equal([node.Cid], await Car.ReadHeaderAsync(car, default));
        var first = await Car.ReadBlockAsync(car, default);
        Assert.Equal(node.Cid, first!.Value.Cid);
        Assert.Null(await Car.ReadBlockAsync(car, default));
    }

    [Fact]
    public void CIDs_parse_from_every_base_this_node_reads_and_print_in_the_usual_one()
    {
        var v0 = Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
        var v1 = v0.ToVersion(1);
        Assert.StartsWith("bafybei", v1.ToString());
        Assert.Equal(v1, Cid.Parse(v1.ToString()));
        Assert.Equal(v1, Cid.Parse("B" + v1.ToString()[1..].ToUpperInvariant()));
        Assert.Equal(v1, Cid.Parse("f" + Convert.ToHexStringLower(v1.Bytes)));
        Assert.Equal(v1, Cid.Parse("z" + SimpleBase.Base58.Bitcoin.Encode(v1.Bytes)));
        Assert.Equal(v0, v1.ToVersion(0));
        Assert.NotEqual(v0, v1);
        Assert.Equal(v0, Cid.FromBytes(v0.Bytes));
        Assert.Throws<InvalidOperationException>(() => Cid.Parse(Vectors["hello"]!["v1"]!.GetValue<string>()).ToVersion(0));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5O", "not a CID")]                  // 'O' is not base58 … or not this hash
    [InlineData("xyz", "neither CIDv0")]
    [InlineData("bafy!!!", "outside its base")]
    [InlineData("f0171122046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e", "unsupported codec 0x71")]
    [InlineData("f0170132046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e", "unsupported hash function 0x13")]
    [InlineData("f0170121046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e", "digest of 16 bytes")]
    [InlineData("f0170122046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e00", "bytes after")]
    [InlineData("f0270122046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e", "version 2")]
    [InlineData("f01701220", "cut short")]
    public void A_bad_CID_text_fails_with_what_is_wrong(string text, string expected)
    {
        var ok = Cid.TryParse(text, out _, out var error);
        Assert.False(ok);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Varints_round_trip_and_only_the_shortest_form_reads()
    {
        var random = new Random(7);
        Span<byte> buffer = stackalloc byte[10];
        for (var i = 0; i < 2000; i++)
        {
            var v = (ulong)random.NextInt64() >> random.Next(0, 63);
            var n = Varint.Write(buffer, v);
            Assert.Equal(Varint.Size(v), n);
            Assert.Equal(n, Varint.Read(buffer[..n], out var back, 10));
            Assert.Equal(v, back);
        }
        Assert.Throws<FormatException>(() => Varint.Read([0x81, 0x00], out _));       // 1 written in two bytes
        Assert.Throws<FormatException>(() => Varint.Read([0x80], out _));             // cut short
        Assert.Throws<FormatException>(() => Varint.Read(Enumerable.Repeat((byte)0xff, 10).ToArray(), out _)); // longer than 9 bytes
    }

    [Fact]
    public void Dag_pb_nodes_round_trip_and_the_decoder_is_as_strict_as_the_spec()
    {
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            var links = Enumerable.Range(0, random.Next(0, 5)).Select(_ =>
            {
                var d = new byte[8]; random.NextBytes(d);
                return new PbLink(Cid.Of(random.Next(2), Cid.DagPb, d), random.Next(3) == 0 ? null : $"n{random.Next(100)}", random.Next(3) == 0 ? null : (ulong)random.NextInt64());
            }).ToList();
            byte[]? data = random.Next(3) == 0 ? null : new byte[random.Next(0, 40)];
            var node = new PbNode(links, data);
            var back = PbNode.Decode(node.Encode());
            Assert.Equal(links, back.Links);
            Assert.Equal(data, back.Data);
        }
        var cid = Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
        var link = new PbNode([new PbLink(cid, "a", 1)], null).Encode();
        byte[] Hex(string h) => Convert.FromHexString(h);
        Assert.Contains("unknown field 3", Assert.Throws<FormatException>(() => PbNode.Decode(Hex("1a00"))).Message);
        Assert.Contains("Links after Data", Assert.Throws<FormatException>(() => PbNode.Decode([.. Hex("0a00"), .. link])).Message);
        Assert.Contains("two Data", Assert.Throws<FormatException>(() => PbNode.Decode(Hex("0a000a00"))).Message);
        Assert.Contains("wire type", Assert.Throws<FormatException>(() => PbNode.Decode(Hex("0800"))).Message);
        Assert.Contains("without a Hash", Assert.Throws<FormatException>(() => PbNode.Decode(Hex("12021200"))).Message); // a link with only a name
        Assert.Contains("past the end", Assert.Throws<FormatException>(() => PbNode.Decode(Hex("0a05ab"))).Message);
        Assert.Contains("out of order", Assert.Throws<FormatException>(() => PbNode.Decode([0x12, 0x26, 0x12, 0x00, 0x0a, 0x22, .. link[4..38]])).Message);
    }

    [Fact]
    public async Task A_bad_CAR_fails_with_what_is_wrong_and_says_where()
    {
        var (node, blocks) = await Add("hello world\n", ImportOptions.V0);
        var good = Convert.FromHexString(Vectors["helloCar"]!.GetValue<string>());
        async Task<string> Fails(byte[] bytes)
        {
            var s = new MemoryStream(bytes);
            var e = await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await Car.ReadHeaderAsync(s, default);
                while (await Car.ReadBlockAsync(s, default) is not null) { }
            });
            return e.Message;
        }
        Assert.Contains("empty file", await Fails([]));
        Assert.Contains("truncated header", await Fails(good[..20]));
        Assert.Contains("truncated section", await Fails(good[..^3]));
        var tampered = (byte[])good.Clone();
        tampered[^1] ^= 1;
        Assert.Contains("does not match its CID", await Fails(tampered));
        Assert.Contains("header of", await Fails([0xff, 0xff, 0x03]));
        var v2 = Car.Header([node.Cid]);
        v2[^1] = 0x02;
        Assert.Contains("version 2", await Fails(v2));
        Assert.Contains("no roots", await Fails(Car.Header([])));
        var huge = Car.Header([node.Cid]).Concat(Varint.Encode(1UL << 40)).ToArray();
        Assert.Contains("a section of", await Fails(huge));
        var badCodec = Car.Header([node.Cid]).Concat(Varint.Encode(36)).Concat(Convert.FromHexString("0171122046d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e")).ToArray();
        Assert.Contains("unsupported codec", await Fails(badCodec));
    }
}
