using Chainlab.Core.Encoding;
using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

public sealed class FileRefTests
{
    private static readonly Cid Hello = Cid.Parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");

    [Fact]
    public void File_refs_and_anchor_payloads_round_trip_with_both_CID_versions()
    {
        var refs = new[] { new FileRef(Hello, 12, "hello.txt", "text/plain"), new FileRef(Hello.ToVersion(1), ulong.MaxValue, "ünïcode name", "application/vnd.ipld.car") };
        foreach (var f in refs) Assert.Equal(f, FileRef.Decode(f.Encode()));
        Assert.Equal(refs, FileRef.DecodePayload(FileRef.EncodePayload(refs)));
        var longest = new FileRef(Hello.ToVersion(1), 1, new string('n', FileRef.MaxNameBytes), "a/" + new string('t', FileRef.MaxMediaTypeBytes - 2));
        Assert.True(longest.Encode().Length <= Model.Limits.MaxFileRefBytes);
    }

    [Theory]
    [InlineData("", "text/plain")]
    [InlineData("a/b", "text/plain")]
    [InlineData("..", "text/plain")]
    [InlineData("bell\u0007", "text/plain")]
    [InlineData("x", "text")]
    [InlineData("x", "text/")]
    [InlineData("x", "/plain")]
    [InlineData("x", "text/pl ain")]
    [InlineData("x", "text/plain;charset=utf-8")]
    public void Names_and_media_types_that_are_not_plain_are_refused(string name, string mediaType)
    {
        var f = new FileRef(Hello, 1, name, mediaType);
        Assert.NotNull(f.Problem());
        Assert.Throws<DecodeException>(() => FileRef.Decode(f.Encode()));
    }

    [Fact]
    public void Payloads_that_are_empty_too_long_cut_short_or_trailing_are_refused()
    {
        var one = new FileRef(Hello, 1, "a", "text/plain");
        Assert.Contains("names no files", Assert.Throws<DecodeException>(() => FileRef.DecodePayload(FileRef.EncodePayload([]))).Message);
        Assert.Throws<DecodeException>(() => FileRef.DecodePayload(FileRef.EncodePayload(Enumerable.Repeat(one, FileRef.MaxPerTransaction + 1).ToList())));
        var good = FileRef.EncodePayload([one]);
        Assert.Throws<DecodeException>(() => FileRef.DecodePayload(good[..^1]));
        Assert.Throws<DecodeException>(() => FileRef.DecodePayload([.. good, 0]));
        var badCid = one.Encode();
        badCid[5] = 0x13; // the digest length byte of the CIDv0: not a multihash this node takes
        Assert.Contains("file ref", Assert.Throws<DecodeException>(() => FileRef.Decode(badCid)).Message);
    }
}
