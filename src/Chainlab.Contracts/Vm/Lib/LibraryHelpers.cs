namespace Chainlab.Contracts.Vm;

/// <summary>Helpers shared by the table, math, utf8 and basic libraries.</summary>
internal static class LibraryHelpers
{
    /// <summary>
    /// Charges <paramref name="units"/> of work at <paramref name="perGas"/> units per gas before the work is done
    /// (<see cref="Machine.Spend"/>). A count that the gas left cannot pay stops the run at once, without adding the
    /// unpaid units to <see cref="Machine.Work"/>, so the counter only holds work that was paid for (and cannot
    /// overflow on a count near 2^63).
    /// </summary>
    public static void Pay(Machine m, long units, long perGas)
    {
        if (units <= 0) return;
        var gas = units / perGas;
        // More than all the gas left (GasLeft may be one slice of it): this charge stops the run.
        if ((ulong)gas >= m.GasLimit - m.GasUsed) m.Charge(Math.Min(gas, long.MaxValue / 2) + 1);
        m.Spend(units, perGas);
    }

    /// <summary>
    /// A string shared by every run in the process. Its hash is computed here, once, before any thread can see it:
    /// computed lazily, two threads could race on the cached hash.
    /// </summary>
    public static Value Constant(byte[] bytes)
    {
        var s = new LuaString(bytes);
        _ = s.Hash;
        return Value.Str(s);
    }

    public static Value Constant(string text) => Constant(System.Text.Encoding.UTF8.GetBytes(text));
}
