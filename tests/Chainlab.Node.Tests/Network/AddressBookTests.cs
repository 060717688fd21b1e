using System.Net;
using Chainlab.Node.Network.Peers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chainlab.Node.Tests.Network;

public sealed class AddressBookTests
{
    [Fact]
    public void A_failed_dial_rests_a_quarter_interval_first_then_doubles_up_to_five_intervals()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var options = new PeerOptions { DialInterval = TimeSpan.FromSeconds(2) };
        var book = new AddressBook(options, time, NullLogger.Instance);
        Assert.Equal([0.5, 1, 2, 4, 8, 10, 10], Enumerable.Range(1, 7).Select(n => book.BackoffAfter(n).TotalSeconds));

        // A peer that is still starting (its first dial refused) is tried again after half a second, not ten.
        var ep = new IPEndPoint(IPAddress.Loopback, 30300);
        book.DialFailed(ep);
        Assert.True(book.InBackoff(ep));
        time.Advance(TimeSpan.FromMilliseconds(501));
        Assert.False(book.InBackoff(ep));
        book.DialFailed(ep);
        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.True(book.InBackoff(ep));
        book.DialSucceeded(ep);
        book.DialFailed(ep);
        time.Advance(TimeSpan.FromMilliseconds(501));
        Assert.False(book.InBackoff(ep));
    }
}
