/* Nimbus dashboard: the reports API (GET /api/reports/...) drawn as tiles, charts and tables for
   managers, supervisors and admins. It signs in as the console does (agent-session.js: the same
   token in this tab's sessionStorage), reads every figure again when a filter changes, and the
   live tiles again whenever the /agent socket says `overview_changed` (and every POLL_SECONDS).
   Every text is set with textContent, never as HTML; charts are ECharts on canvas (served from
   /vendor), each with the same figures in a table for screen readers. */
(function () {
  "use strict";
  var session = window.NimbusAgent;  // agent-session.js: the sign-in, the API, DOM helpers
  var api = session.api, el = session.el, clear = session.clear;
  var READERS = ["manager", "supervisor", "admin"];  // REPORTING_ROLES on the server
  var POLL_SECONDS = 30;  // the live tiles, should a nudge be missed
  var SETTLE_MS = 500;  // nudges come in bursts: one fetch for the lot
  var HOURLY_UP_TO_DAYS = 2;  // longer periods are drawn by day
  var MAX_DAYS = 366;  // the API refuses longer periods
  var COLOURS = ["#0b3d91", "#b35c00", "#0a6b2d"];  // 3:1 or more against white (WCAG 1.4.11)
  var ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  // Everything the page says, in one place (staff page: English only).
  var T = {
    signInFirst: "Sign in with your staff account to see the dashboard.",
    sessionEnded: "Your session has ended: please sign in again.",
    signedOut: "Signed out.",
    notReaderTitle: "Managers and supervisors only",
    notReaderText: "The dashboard is for managers, supervisors and admins. Your account is an agent's: your chats are in the agent console.",
    notReaderLink: "Go to the agent console",
    couldNot: function (what, why) { return "Could not load " + what + ": " + why + "."; },
    couldNotCsv: function (why) { return "Could not download the CSV file: " + why + "."; },
    downloaded: function (name) { return "Downloaded " + name + "."; },
    badDates: "Choose a start date and an end date, the start on or before the end, and not in the future.",
    tooLong: "Choose at most " + MAX_DAYS + " days.",
    zone: "Times in " + ZONE + ".",
    periods: { today: "Today", "7d": "Last 7 days", "30d": "Last 30 days", custom: "Custom dates" },
    language: { "": "All languages", en: "English", fr: "French" },
    skill: { "": "All skills", billing: "Billing", network: "Network", orders: "Orders", accounts: "Accounts", general: "General" },
    channel: { "": "All channels", socketio: "Web widget", rest: "REST API" },
    live: { queue_length: "In the queue", agents_online: "Agents online", chats_in_progress: "Chats in progress" },
    liveAt: function (time) { return "Updated at " + time + "."; },
    periodText: function (now, before) { return "· " + now + ", compared with " + before; },
    up: "Up", down: "Down", same: "No change", better: "better", worse: "worse",
    noComparison: "No comparison",
    was: function (text) { return "was " + text; },
    basis: function (n) { return "n = " + n; },
    basisTitle: function (n) { return "Based on " + n; },
    points: " pts", none: "–", outOf5: " / 5",
    csv: "Download CSV", csvOf: function (title) { return " of the table " + title; },
    empty: "Nothing in this period.",
    figures: "the key figures", series: "the figures over time", liveFigures: "the live figures",
    chartLabel: function (title) { return title + ": chart; the same figures are in the table that follows."; },
    charts: {
      volume: "Contacts and bot sessions", rates: "Containment and transfer rate",
      waiting: "Waiting time before an agent (median)", csat: "Satisfaction (CSAT, 1 to 5)"
    },
    seriesNames: { contacts: "Contacts", sessions: "Bot sessions", containment: "Containment", transfer_rate: "Transfer rate", waiting_p50: "Waiting (median)", csat: "CSAT" },
    when: "Period",
    tables: {
      agents: "Agents", "transfer-reasons": "Transfers to a person, by reason", csat: "Satisfaction: distribution of ratings",
      "top-requests": "Top requests", misunderstood: "Messages the bot did not understand (redacted)",
      breakdown: "By language, channel or skill"
    },
    columns: {
      name: "Agent", chats: "Chats", handle_time: "Average handle time", csat: "CSAT", ratings: "Ratings",
      first_response_p50: "First response (median)", reason: "Reason", contacts: "Contacts", rate: "Share of contacts",
      request: "Request", sessions: "Bot sessions", text: "Message", count: "Times", value: "Value",
      containment: "Containment", transfer_rate: "Transfer rate", waiting_p50: "Waiting (median)",
      segment: "Conversations", mean: "Mean", responses: "Ratings", response_rate: "Response rate"
    },
    segments: { overall: "All", bot: "With the bot only", agent: "With an agent" },
    groupBy: "Group by", by: { language: "Language", channel: "Channel", skill: "Skill" }
  };
  var SCORES = ["1", "2", "3", "4", "5"];
  var CHARTS = [
    { key: "volume", kind: "bar", unit: "count", series: ["contacts", "sessions"] },
    { key: "rates", kind: "line", unit: "ratio", series: ["containment", "transfer_rate"] },
    { key: "waiting", kind: "line", unit: "seconds", series: ["waiting_p50"] },
    { key: "csat", kind: "line", unit: "score", series: ["csat"] }
  ];
  var $ = function (id) { return document.getElementById(id); };
  var socket = null, pollTimer = null, settleTimer = null;
  var generation = 0, liveLoading = false, liveAgain = false, charts = {}, breakdownBy = "language";

  function notice(text) { $("notice").textContent = text; }
  session.on("signedOut", function () { signedOut(T.sessionEnded); });
  session.on("notice", notice);
  function failed(what) {
    return function (error) {
      if (error.message === "signed out" || error.message === "stale") return;
      if (error.status === 403) { notReader(); return; }
      notice(T.couldNot(what, error.message));
    };
  }

  // -- numbers as people read them ---------------------------------------------------------------
  function missing(value) { return value === null || value === undefined || (typeof value === "number" && isNaN(value)); }
  function count(value) { return missing(value) ? T.none : Number(value).toLocaleString("en"); }
  function percent(value) { return missing(value) ? T.none : (value * 100).toFixed(1) + "%"; }
  function score(value) { return missing(value) ? T.none : Number(value).toFixed(1) + T.outOf5; }
  function duration(value) {
    if (missing(value)) return T.none;
    var total = Math.round(value), h = Math.floor(total / 3600), m = Math.floor(total % 3600 / 60), s = total % 60;
    if (h) return h + " h" + (m ? " " + m + " min" : "");
    if (m) return m + " min" + (s ? " " + s + " s" : "");
    return s + " s";
  }
  function text(value) { return missing(value) || value === "" ? T.none : String(value); }
  var FORMATS = { ratio: percent, seconds: duration, score: score, count: count };
  function sign(n) { return n > 0 ? "+" : n < 0 ? "−" : ""; }
  function round1(n) { return Math.round(n * 10) / 10; }

  // The change against the previous period, as shown: the arrow follows the rounded figure, so
  // "+0.0 pts" never gets an arrow. Null when either side has nothing to divide.
  function change(kpi) {
    var now = kpi.value, before = kpi.previous;
    if (missing(now) || missing(before)) return null;
    var diff, label;
    if (kpi.unit === "ratio") {
      diff = round1(now * 100) - round1(before * 100);
      label = Math.abs(diff).toFixed(1) + T.points;
    } else if (kpi.unit === "seconds") {
      diff = Math.round(now) - Math.round(before);
      label = duration(Math.abs(diff));
    } else if (kpi.unit === "score") {
      diff = round1(now) - round1(before);
      label = Math.abs(diff).toFixed(1);
    } else if (before > 0 && Math.abs(now - before) / before >= 0.0005) {
      diff = (now - before) / before * 100;  // a share of the previous figure, to 0.1% below 10%
      label = (Math.abs(diff) >= 9.95 ? Math.round(Math.abs(diff)) : Math.abs(diff).toFixed(1)) + "%";
    } else {  // from nothing, or too small a share to show: the difference itself
      diff = now - before;
      label = count(Math.abs(diff));
    }
    var direction = diff > 0.0001 ? 1 : diff < -0.0001 ? -1 : 0;
    var better = direction === 0 ? null : (direction > 0) === (kpi.better === "higher");
    return { direction: direction, label: sign(direction) + label, better: better };
  }

  // -- who may look ------------------------------------------------------------------------------
  function show(view) {
    ["login-view", "gate", "dash"].forEach(function (id) { $(id).hidden = id !== view; });
  }
  function stop() {
    window.clearInterval(pollTimer); window.clearTimeout(settleTimer);
    if (socket) { socket.disconnect(); socket = null; }
    generation += 1;  // answers still on their way are dropped
  }
  function signedOut(message) {
    stop();
    session.forget(false);
    $("me").hidden = true;
    show("login-view");
    notice(message || "");
  }
  function notReader() {
    stop();
    show("gate");
    $("gate-title").textContent = T.notReaderTitle;
    $("gate-text").textContent = T.notReaderText;
    $("gate-link").textContent = T.notReaderLink;
  }
  $("logout").addEventListener("click", function () {
    session.forget(true);
    signedOut(T.signedOut);
  });
  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    session.signIn($("username").value.trim(), $("password").value).then(function () {
      $("password").value = "";
      notice("");
      begin(true);
    }).catch(function (error) { $("login-error").textContent = error.message; });
  });
  function start() {
    if (!session.token()) { show("login-view"); notice(T.signInFirst); return; }
    // After a reload the token's end is unknown: a fresh one tells it (and 401 means sign in).
    session.refresh().then(function () { begin(false); }).catch(failed(T.figures));
  }
  // `fresh`: signed in on this page. An agent who did so is signed out again at once (signing
  // in puts agents online, and nobody would be at their console); one who came from the console
  // in this tab keeps their session, and the link takes them back to it.
  function begin(fresh) {
    api("GET", "/api/agent/me").then(function (agent) {
      $("me").hidden = false;
      $("me-name").textContent = (agent.display_name || agent.username) + " (" + agent.role + ")";
      var supervising = agent.role === "supervisor" || agent.role === "admin";
      $("supervisor-link").hidden = !supervising;
      $("console-link").hidden = !supervising;
      if (READERS.indexOf(agent.role) < 0) {
        if (fresh) { session.forget(true); $("me").hidden = true; }
        notReader();
        return;
      }
      show("dash");
      connect();
      loadAll();
      loadLive();
      pollTimer = window.setInterval(loadLive, POLL_SECONDS * 1000);
    }).catch(failed(T.figures));
  }

  // -- filters -----------------------------------------------------------------------------------
  function options(select, labels) {
    Object.keys(labels).forEach(function (value) { select.append(el("option", { value: value }, labels[value])); });
  }
  options($("period"), T.periods);
  options($("language"), T.language);
  options($("skill"), T.skill);
  options($("channel"), T.channel);
  $("zone").textContent = T.zone;
  var FIELDS = ["period", "from", "to", "language", "skill", "channel"];
  // The filters are kept in the address: a reload or a shared link shows the same figures.
  (function restore() {
    var saved = new URLSearchParams(window.location.search);
    FIELDS.forEach(function (name) {
      var value = saved.get(name), field = $(name);
      if (value === null) return;
      field.value = value;
      if (field.value !== value) field.value = field.tagName === "SELECT" ? field.options[0].value : "";
    });
    if (!saved.get("period")) $("period").value = "7d";
    customShown();
  })();
  function customShown() {
    var custom = $("period").value === "custom";
    Array.prototype.forEach.call(document.querySelectorAll("[data-custom]"), function (node) { node.hidden = !custom; });
    if (custom && !$("from").value) {
      $("to").value = day(new Date());
      $("from").value = day(addDays(new Date(), -6));
    }
  }
  $("period").addEventListener("change", function () {
    customShown();
    if ($("period").value !== "custom") loadAll();
  });
  ["language", "skill", "channel"].forEach(function (id) { $(id).addEventListener("change", loadAll); });
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); loadAll(); });

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function day(date) { return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()); }
  function midnight(date) { return new Date(date.getFullYear(), date.getMonth(), date.getDate()); }
  function addDays(date, n) { return new Date(date.getFullYear(), date.getMonth(), date.getDate() + n); }
  function parseDay(value) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return parts ? new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])) : null;
  }
  // ISO 8601 with the browser's offset at that instant (the API reads it in `tz`, the same zone).
  function iso(date) {
    var offset = -date.getTimezoneOffset(), abs = Math.abs(offset);
    return day(date) + "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }
  // The period chosen, in whole local days up to now (today's partial day included), or null.
  function period() {
    var now = new Date(), choice = $("period").value;
    if (choice === "today") return { start: midnight(now), end: now };
    if (choice !== "custom") return { start: addDays(midnight(now), choice === "30d" ? -29 : -6), end: now };
    var from = parseDay($("from").value), to = parseDay($("to").value);
    if (!from || !to || from > to || from > now) { notice(T.badDates); return null; }
    var end = addDays(to, 1);
    if ((end - from) / 86400000 > MAX_DAYS + 0.5) { notice(T.tooLong); return null; }
    return { start: from, end: end < now ? end : now };
  }
  function filters() {
    var chosen = period();
    if (!chosen) return null;
    var query = new URLSearchParams({ start: iso(chosen.start), end: iso(chosen.end), tz: ZONE });
    ["language", "skill", "channel"].forEach(function (name) { if ($(name).value) query.set(name, $(name).value); });
    var hourly = (chosen.end - chosen.start) / 86400000 <= HOURLY_UP_TO_DAYS;
    return { query: query, bucket: hourly ? "hour" : "day" };
  }
  function remember() {
    var kept = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var custom = name === "from" || name === "to";
      if ($(name).value && (!custom || $("period").value === "custom")) kept.set(name, $(name).value);
    });
    window.history.replaceState(null, "", window.location.pathname + "?" + kept.toString());
  }
  function withParams(query, extra) {
    var copy = new URLSearchParams(query);
    Object.keys(extra || {}).forEach(function (key) { copy.set(key, extra[key]); });
    return copy.toString();
  }

  // -- loading -----------------------------------------------------------------------------------
  var current = null;  // the filters of the figures shown (the CSV files use them too)
  function loadAll() {
    var chosen = filters();
    if (!chosen) return;
    notice("");
    remember();
    current = chosen;
    var mine = ++generation;
    var get = function (path, extra) {
      return api("GET", "/api/reports/" + path + "?" + withParams(chosen.query, extra)).then(function (data) {
        if (mine !== generation) throw new Error("stale");
        return data;
      });
    };
    $("dash").setAttribute("aria-busy", "true");
    Promise.all([
      get("summary").then(drawSummary).catch(failed(T.figures)),
      get("series", { bucket: chosen.bucket }).then(drawCharts).catch(failed(T.series)),
      get("agents").then(table("agents")).catch(failed(T.tables.agents)),
      get("transfer-reasons").then(table("transfer-reasons")).catch(failed(T.tables["transfer-reasons"])),
      get("top-requests").then(table("top-requests")).catch(failed(T.tables["top-requests"])),
      get("misunderstood").then(table("misunderstood")).catch(failed(T.tables.misunderstood)),
      get("csat").then(drawCsat).catch(failed(T.tables.csat)),
      get("breakdown", { by: breakdownBy }).then(table("breakdown")).catch(failed(T.tables.breakdown))
    ]).then(function () { if (mine === generation) $("dash").removeAttribute("aria-busy"); });
  }

  // -- live tiles: the socket nudges, the figures are fetched ----------------------------------
  function connect() {
    if (!window.io) return;  // the socket client is missing: polling alone keeps them fresh
    socket = window.io("/agent", { transports: ["websocket"], auth: function (cb) { cb({ token: session.token() }); } });
    socket.on("connect_error", function (error) {
      if (error.message === "authentication failed") signedOut(T.sessionEnded);
    });
    socket.on("signed_out", function () { signedOut(T.sessionEnded); });
    socket.on("connect", settle);
    socket.on("overview_changed", settle);
  }
  function settle() {
    window.clearTimeout(settleTimer);
    settleTimer = window.setTimeout(loadLive, SETTLE_MS);
  }
  function loadLive() {
    if (liveLoading) { liveAgain = true; return; }
    liveLoading = true;
    api("GET", "/api/reports/live").then(drawLive).catch(failed(T.liveFigures)).then(function () {
      liveLoading = false;
      if (liveAgain) { liveAgain = false; loadLive(); }
    });
  }
  function drawLive(data) {
    var list = $("live-tiles");
    Object.keys(T.live).forEach(function (key) {
      var value = list.querySelector('[data-live="' + key + '"]');
      if (!value) {
        var group = el("div");
        value = el("dd", { "data-live": key });
        group.append(el("dt", {}, T.live[key]), value);
        list.append(group);
      }
      var shown = count(data[key]);
      if (value.textContent !== shown) value.textContent = shown;  // unchanged: not announced again
    });
    var at = data.at ? new Date(data.at) : new Date();
    $("live-at").textContent = T.liveAt(at.toLocaleTimeString("en-GB", { timeZone: ZONE }));
  }

  // -- tiles -------------------------------------------------------------------------------------
  var DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: ZONE });
  function span(range) {
    var start = new Date(range.start), end = new Date(new Date(range.end) - 1);  // [start, end)
    var first = DAY.format(start), last = DAY.format(end);
    return first === last ? first : first + " – " + last;
  }
  function drawSummary(data) {
    $("period-text").textContent = T.periodText(span(data.period), span(data.previous));
    var list = clear($("tiles"));
    data.kpis.forEach(function (kpi) {
      var format = FORMATS[kpi.unit] || text;
      var tile = el("li", { class: "tile", "data-kpi": kpi.key });
      tile.append(el("h3", {}, kpi.label), el("p", { class: "value" }, format(kpi.value)), changeLine(kpi));
      var was = el("p", { class: "was" }, missing(kpi.previous) ? "" : T.was(format(kpi.previous)));
      if (!missing(kpi.basis)) {
        was.append((was.textContent ? " · " : ""), el("span", { title: T.basisTitle(count(kpi.basis)) }, T.basis(count(kpi.basis))));
      }
      tile.append(was);
      list.append(tile);
    });
  }
  function changeLine(kpi) {
    var found = change(kpi), line = el("p", { class: "change" });
    if (!found) {
      line.append(el("span", { "aria-hidden": "true" }, T.none), el("span", { class: "vh" }, T.noComparison));
      return line;
    }
    var arrow = found.direction > 0 ? "▲" : found.direction < 0 ? "▼" : "=";
    var words = found.direction > 0 ? T.up : found.direction < 0 ? T.down : T.same;
    line.classList.add(found.better === null ? "same" : found.better ? "better" : "worse");
    line.append(el("span", { "aria-hidden": "true", class: "arrow" }, arrow), el("span", { class: "vh" }, words + " "));
    if (found.direction) line.append(found.label + ", " + (found.better ? T.better : T.worse));
    else line.append(el("span", { "aria-hidden": "true" }, T.same.toLowerCase()));
    return line;
  }

  // -- charts ------------------------------------------------------------------------------------
  (function build() {
    var box = $("charts");
    CHARTS.forEach(function (chart) {
      var id = "chart-" + chart.key;
      var figure = el("figure", { class: "chart", "data-chart": chart.key });
      var plot = el("div", { id: id, class: "plot", role: "img", "aria-label": T.chartLabel(T.charts[chart.key]) });
      var data = el("table", { class: "vh" });
      data.append(el("caption", {}, T.charts[chart.key]));
      figure.append(el("figcaption", {}, T.charts[chart.key]), plot, data);
      box.append(figure);
      if (window.echarts) charts[chart.key] = window.echarts.init(plot, null, { renderer: "canvas" });
    });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        Object.keys(charts).forEach(function (key) { charts[key].resize(); });
      }).observe(box);
    }
  })();
  function bucketLabel(bucket) {
    var options = bucket === "hour" ? { hour: "2-digit", minute: "2-digit", weekday: "short" } : { weekday: "short", day: "numeric", month: "short" };
    var format = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: ZONE }, options));
    return function (point) { return format.format(new Date(point.start)); };
  }
  function axisFormat(unit) {
    if (unit === "ratio") return function (v) { return Math.round(v * 100) + "%"; };
    if (unit === "seconds") return function (v) { return duration(v); };
    return function (v) { return String(v); };
  }
  function drawCharts(data) {
    var labels = data.points.map(bucketLabel(data.bucket));
    CHARTS.forEach(function (chart) {
      var format = FORMATS[chart.unit];
      var option = {
        animation: false,
        color: COLOURS,
        textStyle: { color: "#1a1a1a", fontFamily: "system-ui, sans-serif" },
        grid: { left: 8, right: 28, top: 34, bottom: 4, containLabel: true },
        legend: { top: 0, left: 0, textStyle: { color: "#1a1a1a" } },
        // Rich text: the tooltip is drawn on the canvas, not as HTML with inline styles (CSP).
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: format },
        xAxis: { type: "category", data: labels, axisLabel: { color: "#333", hideOverlap: true } },
        yAxis: { type: "value", minInterval: chart.unit === "count" || chart.unit === "seconds" ? 1 : 0, axisLabel: { color: "#333", formatter: axisFormat(chart.unit) } },
        series: chart.series.map(function (key) {
          return {
            name: T.seriesNames[key], type: chart.kind, connectNulls: false, symbolSize: 6,
            data: data.points.map(function (point) { return missing(point[key]) ? null : point[key]; })
          };
        })
      };
      if (chart.unit === "ratio") { option.yAxis.min = 0; option.yAxis.max = 1; }
      if (chart.unit === "score") { option.yAxis.min = 1; option.yAxis.max = 5; }
      if (charts[chart.key]) charts[chart.key].setOption(option, true);
      fillTable(document.querySelector('[data-chart="' + chart.key + '"] table'),
        [T.when].concat(chart.series.map(function (key) { return T.seriesNames[key]; })),
        data.points.map(function (point, i) {
          return [labels[i]].concat(chart.series.map(function (key) { return format(point[key]); }));
        }));
    });
  }
  function fillTable(node, heads, rows) {
    Array.prototype.slice.call(node.children).forEach(function (child) { if (child.tagName !== "CAPTION") node.removeChild(child); });
    var head = el("thead"), headRow = el("tr"), body = el("tbody");
    heads.forEach(function (name, i) { headRow.append(el("th", { scope: "col", class: i ? "num" : "" }, name)); });
    head.append(headRow);
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (value, i) { row.append(i ? el("td", { class: "num" }, value) : el("th", { scope: "row" }, value)); });
      body.append(row);
    });
    node.append(head, body);
  }

  // -- tables ------------------------------------------------------------------------------------
  function humane(value) {
    if (missing(value) || value === "") return T.none;
    var words = String(value).replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  function reason(value) { return session.REASONS[value] || humane(value); }
  function valueOf(row) { return (T[breakdownBy] && T[breakdownBy][row.value]) || humane(row.value); }
  var COLUMNS = {
    agents: [["name", function (row) { return row.name || row.agent; }], ["chats", count], ["handle_time", duration],
             ["csat", score], ["ratings", count], ["first_response_p50", duration]],
    "transfer-reasons": [["reason", function (row) { return reason(row.reason); }], ["contacts", count], ["rate", percent]],
    "top-requests": [["request", function (row) { return humane(row.request); }], ["sessions", count]],
    misunderstood: [["text", function (row) { return text(row.text); }], ["count", count]],
    breakdown: [["value", valueOf], ["contacts", count], ["containment", percent], ["transfer_rate", percent],
                ["waiting_p50", duration], ["csat", score]]
  };
  // A section's heading, its CSV button and its table, drawn once; `table(name)` fills it.
  function section(name, extra) {
    var box = $(name), head = el("div", { class: "head" });
    head.append(el("h2", { id: name + "-title" }, T.tables[name]));
    if (extra) head.append(extra);
    if (COLUMNS[name]) {
      var button = el("button", { type: "button", class: "csv", "data-table": name }, T.csv);
      button.append(el("span", { class: "vh" }, T.csvOf(T.tables[name])));
      head.append(button);
    }
    var holder = el("table", { "aria-labelledby": name + "-title" });
    box.append(head, el("div", { class: "scroll" }, null), el("p", { class: "muted empty", hidden: "" }, T.empty));
    box.querySelector(".scroll").append(holder);
  }
  Object.keys(COLUMNS).forEach(function (name) {
    if (name !== "breakdown") section(name);
  });
  section("csat");
  (function groupBy() {
    var wrap = el("div", { class: "field inline" });
    var select = el("select", { id: "breakdown-by" });
    options(select, T.by);
    select.value = breakdownBy;
    wrap.append(el("label", { for: "breakdown-by" }, T.groupBy), select);
    section("breakdown", wrap);
    select.addEventListener("change", function () {
      breakdownBy = select.value;
      if (!current) return;
      api("GET", "/api/reports/breakdown?" + withParams(current.query, { by: breakdownBy }))
        .then(table("breakdown")).catch(failed(T.tables.breakdown));
    });
  })();
  function table(name) {
    return function (data) {
      var columns = COLUMNS[name];
      var box = $(name);
      fillTable(box.querySelector("table"),
        columns.map(function (column) { return T.columns[column[0]]; }),
        data.rows.map(function (row) {
          return columns.map(function (column, i) { return i ? column[1](row[column[0]]) : column[1](row); });
        }));
      box.querySelector(".empty").hidden = data.rows.length > 0;
    };
  }
  function drawCsat(data) {
    var box = $("csat"), rows = [];
    Object.keys(T.segments).forEach(function (key) {
      var part = data[key];
      if (!part) return;
      rows.push([T.segments[key], score(part.mean), count(part.responses), percent(part.response_rate)]
        .concat(SCORES.map(function (n) { return count((part.scores || {})[n] || 0); })));
    });
    fillTable(box.querySelector("table"),
      [T.columns.segment, T.columns.mean, T.columns.responses, T.columns.response_rate].concat(SCORES.map(function (n) { return n + " ★"; })),
      rows);
    box.querySelector(".empty").hidden = rows.length > 0;
  }

  // -- CSV files: fetched with the token (a link could not send it), saved from a Blob ----------
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.csv");
    if (!button || !current) return;
    var name = button.getAttribute("data-table");
    var extra = name === "series" ? { bucket: current.bucket } : name === "breakdown" ? { by: breakdownBy } : {};
    button.disabled = true;
    fetch("/api/reports/" + name + ".csv?" + withParams(current.query, extra), {
      headers: { Authorization: "Bearer " + session.token() }
    }).then(function (response) {
      if (response.status === 401) { signedOut(T.sessionEnded); throw new Error("signed out"); }
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error(typeof body.detail === "string" ? body.detail : "error " + response.status);
        });
      }
      var named = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
      var filename = named ? named[1] : name + ".csv";
      return response.blob().then(function (blob) { save(blob, filename); notice(T.downloaded(filename)); });
    }).catch(function (error) {
      if (error.message !== "signed out") notice(T.couldNotCsv(error.message));
    }).then(function () { button.disabled = false; button.focus(); });
  });
  function save(blob, filename) {
    var url = URL.createObjectURL(blob);
    var link = el("a", { href: url, download: filename, hidden: "" });
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  start();
})();
