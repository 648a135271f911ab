/*
 * ketacare monitoring pages: the live board and the session page.
 *
 * Both pages work without this script (they show what was true when they
 * were loaded). With it, each listens to its server-sent event stream
 * (data-events) and, when something changes, fetches the page again and
 * swaps in the new content: the server renders the page, so there is one
 * source of truth for what is shown. Alerts refresh at once; observations
 * at most once a second. The session page also draws its readings with
 * uPlot from the data table beside the chart.
 */
"use strict";
(function () {
  var body = document.body;
  body.classList.add("nhsuk-frontend-supported");

  function setStatus(id, text) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = text;
    }
  }

  function timeNow() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  // live keeps the element with id rootId in step with the server: on each
  // event it fetches the page and replaces the element's content.
  function live(rootId, statusId, afterSwap) {
    var root = document.getElementById(rootId);
    if (!root || !window.EventSource || !window.fetch) {
      return;
    }
    var url = root.getAttribute("data-events");
    var pending = null;
    var inFlight = false;
    var again = false;

    function refresh() {
      pending = null;
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      fetch(window.location.pathname + window.location.search, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (!r.ok) {
            throw new Error("HTTP " + r.status);
          }
          return r.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(rootId);
          if (fresh) {
            root.innerHTML = fresh.innerHTML;
            if (afterSwap) {
              afterSwap();
            }
          }
          setStatus(statusId, "Live: updated " + timeNow() + ".");
        })
        .catch(function () {
          setStatus(statusId, "Could not update; retrying.");
        })
        .then(function () {
          inFlight = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    }

    function schedule(now) {
      if (now) {
        if (pending) {
          clearTimeout(pending);
        }
        refresh();
        return;
      }
      if (!pending) {
        pending = setTimeout(refresh, 1000);
      }
    }

    var es = new EventSource(url);
    es.addEventListener("open", function () { setStatus(statusId, "Live: connected " + timeNow() + "."); });
    es.addEventListener("error", function () { setStatus(statusId, "Connection lost; reconnecting."); });
    ["alert.raised", "alert.cleared", "alert.acknowledged", "alert.escalated", "session.opened", "session.dosed",
      "session.discharged", "session.closed", "duty.changed", "resync"].forEach(function (t) {
      es.addEventListener(t, function () { schedule(true); });
    });
    es.addEventListener("observation", function () { schedule(false); });
  }

  // Chart of the session's readings, from the observation table's data
  // attributes, with alerts and supportive measures marked as lines.
  function drawChart() {
    var holder = document.getElementById("session-chart");
    var table = document.getElementById("observations");
    if (!holder || !table || !window.uPlot) {
      return;
    }
    holder.textContent = "";
    var rows = table.querySelectorAll("tbody tr[data-at]");
    if (rows.length === 0) {
      return;
    }
    var xs = [], sys = [], dia = [], pulse = [], spo2 = [], anx = [], measures = [];
    function num(v) { return v === "" || v === null ? null : Number(v); }
    rows.forEach(function (r) {
      var t = Date.parse(r.getAttribute("data-at")) / 1000;
      xs.push(t);
      sys.push(num(r.getAttribute("data-sys")));
      dia.push(num(r.getAttribute("data-dia")));
      pulse.push(num(r.getAttribute("data-pulse")));
      spo2.push(num(r.getAttribute("data-spo2")));
      anx.push(num(r.getAttribute("data-anxiety")));
      if (r.getAttribute("data-measures")) {
        measures.push(t);
      }
    });
    var alerts = [];
    document.querySelectorAll("#alerts tbody tr[data-at]").forEach(function (r) {
      alerts.push({t: Date.parse(r.getAttribute("data-at")) / 1000, tier: r.getAttribute("data-tier")});
    });
    var style = getComputedStyle(holder.closest(".app-chart") || holder);
    function colour(name, fallback) { return (style.getPropertyValue(name) || fallback).trim(); }
    var c1 = colour("--app-chart-series-1-colour", "#005eb8");
    var c2 = colour("--app-chart-series-2-colour", "#330072");
    var c3 = colour("--app-chart-series-3-colour", "#007f3b");
    var crit = colour("--app-chart-critical-colour", "#aa2016");
    var warn = colour("--app-chart-warning-colour", "#212b32");
    // The figure's width: the plot's holder is hidden while empty.
    var width = Math.max(300, (holder.closest(".app-chart") || holder.parentNode).clientWidth || 600);
    // The time axis spans at least ten minutes from the first reading, so
    // the first few readings are not spread over a span of years.
    var first = Math.min.apply(null, xs), last = Math.max.apply(null, xs);
    var time = {x: {time: true, auto: false, min: first - 60, max: Math.max(last, first + 600) + 60}};
    // Times as the pages show them: 24-hour clock, the clinic's time zone.
    function clock(v, withDate) {
      var opts = {hour: "2-digit", minute: "2-digit", timeZone: "Europe/London"};
      if (withDate) {
        opts.day = "numeric";
        opts.month = "short";
      }
      return new Date(v * 1000).toLocaleString("en-GB", opts);
    }
    // Ticks on whole minutes at least, so no two labels read the same.
    var xAxis = {space: 60, incrs: [60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 86400],
      values: function (u, splits) { return splits.map(function (v) { return clock(v, false); }); }};
    var xSeries = {value: function (u, v) { return v == null ? "--" : clock(v, true); }};

    function marks(u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.lineWidth = 2 * devicePixelRatio;
      alerts.forEach(function (a) {
        var x = u.valToPos(a.t, "x", true);
        ctx.strokeStyle = a.tier === "warning" ? warn : crit;
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
      });
      ctx.strokeStyle = c3;
      ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
      measures.forEach(function (t) {
        var x = u.valToPos(t, "x", true);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
      });
      ctx.restore();
    }
    var vitals = document.createElement("div");
    var anxiety = document.createElement("div");
    holder.appendChild(vitals);
    holder.appendChild(anxiety);
    new window.uPlot({
      title: "Blood pressure, pulse, SpO2 (solid lines: alerts; dashed: supportive measures)",
      width: width, height: 260, hooks: {draw: [marks]}, scales: time,
      series: [xSeries, {label: "Systolic", stroke: c1, width: 2}, {label: "Diastolic", stroke: c1, dash: [6, 4], width: 2},
        {label: "Pulse", stroke: c2, width: 2}, {label: "SpO2", stroke: c3, width: 2}],
      axes: [xAxis, {label: "mmHg, /min, %"}]
    }, [xs, sys, dia, pulse, spo2], vitals);
    new window.uPlot({
      title: "Anxiety (0–10)", width: width, height: 180, hooks: {draw: [marks]},
      scales: {x: time.x, y: {range: [0, 10]}},
      series: [xSeries, {label: "Anxiety", stroke: crit, width: 2}], axes: [xAxis, {}]
    }, [xs, anx], anxiety);
  }

  live("board", "board-status");
  if (document.getElementById("session")) {
    drawChart();
    live("session", "session-status", drawChart);
  }
}());
