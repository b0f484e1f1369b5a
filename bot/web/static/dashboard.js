/* Coordinator dashboard: draws the trend charts from the JSON in #dashboard-data and wires
 * the copy buttons. No inline scripts (CSP script-src 'self'); every number is also in a table. */
(function () {
  "use strict";

  var ACCENT = "#1c5a66";
  var ATTENTION = "#8a3b12";
  var GRID = "#e3e5e0";
  var TEXT = "#1d2430";

  function readData() {
    var el = document.getElementById("dashboard-data");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function nl(value) {
    return value === null || value === undefined ? "" :
      Number(value).toLocaleString("nl-NL", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }

  /* Weeks without a figure (too few responses, or none) get a light band with a mark, so a
   * gap is visible in the chart itself; the table next to it says why. */
  var gapPlugin = {
    id: "gaps",
    beforeDatasetsDraw: function (chart, _args, opts) {
      var values = opts && opts.values;
      if (!values) return;
      var x = chart.scales.x;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      var step = values.length > 1 ? Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0)) : area.right - area.left;
      var half = Math.max(8, step * 0.4);
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      values.forEach(function (value, i) {
        if (value !== null && value !== undefined) return;
        var cx = x.getPixelForValue(i);
        ctx.fillStyle = "#efeee9";
        ctx.fillRect(cx - half, area.top, half * 2, area.bottom - area.top);
        ctx.fillStyle = "#555e6b";
        ctx.textAlign = "center";
        ctx.font = "14px " + getComputedStyle(document.body).fontFamily;
        ctx.fillText("\u2298", cx, area.top + 16);
      });
      ctx.restore();
    }
  };

  function baseOptions(reduceMotion) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 250 },
      locale: "nl-NL",
      plugins: { legend: { display: false } },
      scales: {
        x: { grid: { display: false }, ticks: { color: TEXT } },
        y: { grid: { color: GRID }, ticks: { color: TEXT } }
      }
    };
  }

  function dimensionChart(canvas, data, reduceMotion) {
    var dim = data.dimensions[canvas.dataset.dimension];
    if (!dim) return;
    var options = baseOptions(reduceMotion);
    options.scales.y.min = 1;
    options.scales.y.max = 5;
    options.scales.y.ticks.stepSize = 1;
    options.plugins.legend = {
      display: true, position: "bottom",
      labels: { color: TEXT, usePointStyle: true, boxWidth: 8, boxHeight: 8, pointStyleWidth: 18 }
    };
    options.plugins.gaps = { values: dim.values };
    options.plugins.tooltip = { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + nl(ctx.parsed.y); } } };
    new window.Chart(canvas, {
      type: "line",
      plugins: [gapPlugin],
      data: {
        labels: data.weeks,
        datasets: [
          {
            label: canvas.dataset.label || dim.label,
            data: dim.values,
            borderColor: ACCENT,
            backgroundColor: ACCENT,
            borderWidth: 2.5,
            pointRadius: 4,
            pointStyle: "circle",
            tension: 0.25,
            spanGaps: false
          },
          {
            label: canvas.dataset.lowLabel || String(data.low),
            data: data.weeks.map(function () { return data.low; }),
            borderColor: ATTENTION,
            borderDash: [6, 5],
            borderWidth: 1.5,
            pointRadius: 0,
            pointStyle: "line"
          }
        ]
      },
      options: options
    });
  }

  function respondentsChart(canvas, data, reduceMotion) {
    var options = baseOptions(reduceMotion);
    options.scales.y.beginAtZero = true;
    options.scales.y.ticks.precision = 0;
    options.plugins.gaps = { values: data.respondents };
    new window.Chart(canvas, {
      type: "bar",
      plugins: [gapPlugin],
      data: {
        labels: data.weeks,
        datasets: [{ label: canvas.dataset.label || "", data: data.respondents, backgroundColor: ACCENT, borderRadius: 3, maxBarThickness: 36 }]
      },
      options: options
    });
  }

  function drawCharts() {
    var data = readData();
    if (!data || !window.Chart) return;
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.chart === "dimension") dimensionChart(canvas, data, reduceMotion);
      else if (canvas.dataset.chart === "respondents") respondentsChart(canvas, data, reduceMotion);
    });
  }

  function wireCopyButtons() {
    var status = document.querySelector(".copy-status");
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copy);
        if (!target) return;
        target.select();
        var done = function () { if (status) status.textContent = button.dataset.copied || ""; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(target.value).then(done, function () { document.execCommand("copy"); done(); });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function init() {
    drawCharts();
    wireCopyButtons();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
