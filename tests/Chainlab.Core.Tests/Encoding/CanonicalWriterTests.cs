using Chainlab.Core.Encoding;

namespace Chainlab.Core.Tests.Encoding;

public sealed class CanonicalWriterTests
{
    [Fact]
    public void A_writer_filled_to_its_capacity_hands_over_its_array_and_writing_on_never_changes_what_it_handed_over()
    {
        var w = new CanonicalWriter(4 + 3);
        w.Bytes([1, 2, 3]);
        var first = w.ToArray();
        Assert.Equal(new byte[] { 0, 0, 0, 3, 1, 2, 3 }, first);
        Assert.Same(first, w.ToArray()); // no copy: the writer's own array, exactly full
        w.U8(9); // past the end: the writer moves to a larger array
        var second = w.ToArray();
        Assert.Equal(new byte[] { 0, 0, 0, 3, 1, 2, 3, 9 }, second);
        Assert.Equal(new byte[] { 0, 0, 0, 3, 1, 2, 3 }, first);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void A_writer_with_room_left_hands_over_a_copy_of_what_was_written()
    {
        var w = new CanonicalWriter(64);
        w.U32(7);
        var bytes = w.ToArray();
        Assert.Equal(new byte[] { 0, 0, 0, 7 }, bytes);
        w.U8(1);
        Assert.Equal(new byte[] { 0, 0, 0, 7 }, bytes);
    }
}
