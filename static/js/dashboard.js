/*
 * The dashboard's charts (Chart.js, vendored). No inline script (strict CSP): the figures come
 * from the <script type="application/json" id="dashboard-data"> the page renders with
 * json_script, and every chart's table is already in the HTML. Once a chart is drawn, its
 * table folds away behind its "Table" summary; without JavaScript the tables stay open.
 */
(function () {
  "use strict";

  // Bootstrap Italia's palette; steps as on the step badges (portal.css).
  var BLUE = "#0066cc";
  var TEAL = "#00a3a3";
  // A third series (the money's paid) in a colour the first two do not use.
  var SERIES_COLOURS = [BLUE, TEAL, "#7a3fc9"];
  var STEP_COLOURS = ["#8a94a6", "#0073e6", "#7a3fc9", "#008055", "#cc7a00"];
  var OUTCOME_COLOURS = ["#0066cc", "#008055", "#7a3fc9", "#cc7a00", "#8a94a6"];

  function translucent(hex) {
    return hex + "59"; // 35% alpha
  }

  function lang() {
    return document.documentElement.lang || "it";
  }

  function barOptions(horizontal) {
    var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    var categoryAxis = { grid: { display: false } };
    return {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: lang(),
      plugins: { legend: { position: "bottom" } },
      scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
    };
  }

  function config(name, spec, canvas) {
    var horizontal = canvas.getAttribute("data-axis") === "y";
    if (canvas.getAttribute("data-type") === "doughnut") {
      return {
        type: "doughnut",
        data: {
          labels: spec.labels,
          datasets: [
            {
              label: spec.series[0].label,
              data: spec.series[0].data,
              backgroundColor: OUTCOME_COLOURS,
              borderColor: "#fff",
            },
          ],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          locale: lang(),
          plugins: { legend: { position: "bottom" } },
        },
      };
    }
    var datasets = spec.series.map(function (series, index) {
      var colour = SERIES_COLOURS[Math.min(index, SERIES_COLOURS.length - 1)];
      var dataset = { label: series.label, data: series.data, backgroundColor: colour };
      if (name === "funnel") {
        // Reached (first) in light step colours, "now at" (second) in full ones.
        dataset.backgroundColor = STEP_COLOURS.map(index === 0 ? translucent : String);
        dataset.borderColor = STEP_COLOURS;
        dataset.borderWidth = index === 0 ? 1 : 0;
      }
      return dataset;
    });
    var options = barOptions(horizontal);
    if (name === "funnel") {
      // Colours tell the steps apart; the legend names the two series with neutral swatches.
      options.plugins.legend.labels = {
        generateLabels: function (chart) {
          return chart.data.datasets.map(function (dataset, index) {
            return {
              text: dataset.label,
              datasetIndex: index,
              fillStyle: index === 0 ? translucent("#5c6f82") : "#5c6f82",
              strokeStyle: "#5c6f82",
              lineWidth: 1,
              hidden: !chart.isDatasetVisible(index),
            };
          });
        },
      };
    }
    return { type: "bar", data: { labels: spec.labels, datasets: datasets }, options: options };
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var name = canvas.getAttribute("data-chart");
      if (!data[name]) {
        return;
      }
      new window.Chart(canvas, config(name, data[name], canvas));
      var card = canvas.closest(".dashboard-card");
      var table = card && card.querySelector("details.dashboard-table");
      if (table) {
        table.removeAttribute("open");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", draw);

  // Choosing the map's measure reloads the page (a plain GET form): come back to the map.
  // Capture phase, so the action is set before portal.js's data-autosubmit submits the form.
  document.addEventListener(
    "change",
    function (event) {
      var select = event.target;
      if (select instanceof HTMLSelectElement && select.name === "map" && select.form) {
        var action = select.form.getAttribute("action").split("#")[0];
        select.form.setAttribute("action", action + "#dashboard-map");
      }
    },
    true
  );
})();
