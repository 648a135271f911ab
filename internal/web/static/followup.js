// Draws the follow-up trend charts with uPlot from each figure's
// data-followup-chart attribute; the table beside each chart holds the same
// values for screen readers, print and browsers without script.
(function () {
  "use strict";
  if (typeof uPlot === "undefined") { return; }
  document.querySelectorAll("[data-followup-chart]").forEach(function (fig) {
    var data;
    try { data = JSON.parse(fig.getAttribute("data-followup-chart")); } catch (e) { return; }
    if (!data.x || data.x.length === 0) { return; }
    var plot = fig.querySelector(".app-chart__plot");
    var css = getComputedStyle(fig);
    var colours = [1, 2, 3].map(function (i) { return css.getPropertyValue("--app-chart-series-" + i + "-colour").trim() || "#005eb8"; });
    var series = [{}];
    var cols = [data.x];
    data.series.forEach(function (s, i) {
      series.push({ label: s.label, stroke: colours[i % 3], width: 2, spanGaps: true, points: { show: true, size: 8 }, scale: s.scale || "y" });
      cols.push(s.values);
    });
    var width = Math.max(280, plot.clientWidth || fig.clientWidth || 600);
    new uPlot({
      width: width, height: 240, series: series,
      scales: { x: { time: true }, y: { range: [0, 27] } },
      axes: [{}, { label: "Score" }]
    }, cols, plot);
  });
})();
