using System.Globalization;
using ScottPlot;

namespace Chainlab.Sim;

/// <summary>
/// The report's figures as PNG and SVG (ScottPlot): the propagation CDF of a run, or of each run of a sweep on one
/// plot; for a sweep, the stale rate against the swept parameter; for a sweep over the selfish miner's share, its
/// share of the chain beside Eyal and Sirer's curves. Drawn from the results alone.
/// </summary>
public static class SimPlots
{
    private const int Width = 900, Height = 560;

    /// <summary>Writes the figures into the folder and returns the names of the files written.</summary>
    public static IReadOnlyList<string> Write(string dir, string? parameter, IReadOnlyList<(string Value, SimResults Results)> runs)
    {
        var written = new List<string>();
        void Save(Plot plot, string name)
        {
            plot.SavePng(Path.Combine(dir, name + ".png"), Width, Height);
            plot.SaveSvg(Path.Combine(dir, name + ".svg"), Width, Height);
            written.Add(name + ".png");
            written.Add(name + ".svg");
        }

        var cdf = new Plot();
        foreach (var (value, r) in runs)
        {
            if (r.PropagationCdf is not { } points) continue;
            var xs = new List<double>();
            var ys = new List<double>();
            for (var pc = 0; pc < points.Count; pc++)
                if (points[pc] is { } ms) { xs.Add(ms / 1000); ys.Add(pc); }
            var line = cdf.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LineWidth = 2;
            if (parameter is not null) line.LegendText = $"{parameter} = {value}";
        }
        cdf.Title($"Block propagation: {runs[0].Results.Name}");
        cdf.XLabel("seconds after the block was made");
        cdf.YLabel("% of (block, node) pairs reached");
        cdf.Axes.SetLimitsY(0, 100);
        if (parameter is not null) cdf.ShowLegend(Alignment.LowerRight);
        Save(cdf, "propagation");

        if (parameter is null || runs.Count < 2) return written;
        var numeric = runs.Select(r => Number(parameter, r.Value)).ToList();
        var x = numeric.All(v => v is not null) ? numeric.Select(v => v!.Value).ToArray() : Enumerable.Range(0, runs.Count).Select(i => (double)i).ToArray();
        var stale = new Plot();
        var points2 = stale.Add.Scatter(x, runs.Select(r => r.Results.StaleRate * 100).ToArray());
        points2.LineWidth = 2;
        points2.MarkerSize = 8;
        if (numeric.Any(v => v is null))
            stale.Axes.Bottom.SetTicks(x, runs.Select(r => r.Value).ToArray());
        stale.Title($"Stale blocks against {parameter}: {runs[0].Results.Name}");
        stale.XLabel(parameter + (parameter == "blockTime" ? " (seconds)" : ""));
        stale.YLabel("stale blocks (% of blocks seen)");
        Save(stale, "stale-rate");

        if (runs.All(r => r.Results.SelfishShare is not null))
        {
            var selfish = new Plot();
            var alphas = runs.Select(r => r.Results.SelfishShare!.Value).ToArray();
            var measured = selfish.Add.Scatter(alphas, runs.Select(r => r.Results.SelfishRevenue!.Value * 100).ToArray());
            measured.LegendText = "simulated: the selfish miner's share of the chain";
            measured.MarkerSize = 9;
            measured.LineWidth = 0;
            var grid = Enumerable.Range(0, 50).Select(i => i / 100.0).ToArray();
            foreach (var gamma in new[] { 0.0, 1.0 })
            {
                var curve = selfish.Add.ScatterLine(grid, grid.Select(a => Math.Max(0, SimReport.EyalSirer(a, gamma)) * 100).ToArray());
                curve.LegendText = $"Eyal and Sirer, γ = {gamma:0}";
                curve.LinePattern = gamma == 0 ? LinePattern.Dashed : LinePattern.Dotted;
            }
            var fair = selfish.Add.ScatterLine(grid, grid.Select(a => a * 100).ToArray());
            fair.LegendText = "honest mining (share = α)";
            fair.Color = Colors.Gray;
            selfish.Title("Selfish mining: share of the canonical blocks against hash share α");
            selfish.XLabel("α, the selfish miner's share of the hash power");
            selfish.YLabel("% of the canonical blocks");
            selfish.Axes.SetLimits(0, 0.5, 0, 100);
            selfish.ShowLegend(Alignment.UpperLeft);
            Save(selfish, "selfish-share");
        }
        return written;
    }

    /// <summary>A swept value as a number for the x axis: durations in seconds, numbers as they are.</summary>
    private static double? Number(string parameter, string value)
    {
        if (parameter == "blockTime") return SimScenario.ParseDuration(value, parameter).TotalSeconds;
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
