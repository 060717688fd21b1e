using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

public sealed class CarFileTests
{
    private static byte[] Bytes(int n, int seed) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    private sealed class Blocks : IBlockSink
    {
        public readonly List<(Cid Cid, byte[] Block)> List = new();
        public ValueTask PutAsync(Cid cid, ReadOnlyMemory<byte> block, CancellationToken ct) { List.Add((cid, block.ToArray())); return ValueTask.CompletedTask; }
    }

    private static async Task<(Cid Root, List<(Cid Cid, byte[] Block)> Blocks)> File(byte[] content)
    {
        var sink = new Blocks();
        var root = await UnixFsImporter.AddFileAsync(new MemoryStream(content), sink, ImportOptions.V0);
        return (root.Cid, sink.List);
    }

    private static async Task<MemoryStream> Car(Cid root, IEnumerable<(Cid Cid, byte[] Block)> blocks, Cid? claimedRoot = null)
    {
        var car = new MemoryStream();
        await Chainlab.Core.Files.Car.WriteHeaderAsync(car, [claimedRoot ?? root], default);
        foreach (var (c, b) in blocks) await Chainlab.Core.Files.Car.WriteBlockAsync(car, c, b, default);
        car.Position = 0;
        return car;
    }

    private static string Scratch() => Path.Combine(Path.GetTempPath(), "carfile-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_file_comes_out_of_its_CAR_whatever_order_its_blocks_arrive_in_and_no_scratch_is_left()
    {
        var content = Bytes(3 * 262144 + 77, 1);
        var (root, blocks) = await File(content);
        blocks.Reverse();
        var output = new MemoryStream();
        var scratch = Scratch();
        Assert.Equal(content.Length, await CarFile.ExtractAsync(await Car(root, blocks), root, output, 1 << 30, scratch, default));
        Assert.Equal(content, output.ToArray());
        Assert.False(System.IO.File.Exists(scratch));
    }

    [Fact]
    public async Task A_changed_block_a_missing_block_another_root_or_a_file_over_the_limit_is_refused()
    {
        var content = Bytes(2 * 262144 + 5, 2);
        var (root, blocks) = await File(content);
        var changed = blocks.Select(x => x.Cid == blocks[0].Cid ? (x.Cid, x.Block.Select((b, i) => i == 20 ? (byte)(b ^ 1) : b).ToArray()) : x);
        await Assert.ThrowsAsync<FormatException>(async () => await CarFile.ExtractAsync(await Car(root, changed), root, new MemoryStream(), 1 << 30, Scratch(), default));
        var missing = await Assert.ThrowsAsync<FormatException>(async () => await CarFile.ExtractAsync(await Car(root, blocks.Skip(1)), root, new MemoryStream(), 1 << 30, Scratch(), default));
        Assert.Contains("lacks block", missing.Message);
        var (other, _) = await File(Bytes(10, 3));
        await Assert.ThrowsAsync<FormatException>(async () => await CarFile.ExtractAsync(await Car(root, blocks, other), root, new MemoryStream(), 1 << 30, Scratch(), default));
        var big = await Assert.ThrowsAsync<FormatException>(async () => await CarFile.ExtractAsync(await Car(root, blocks), root, new MemoryStream(), 300_000, Scratch(), default));
        Assert.Contains("limit of 300000", big.Message);
    }
}
