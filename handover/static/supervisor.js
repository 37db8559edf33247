/* Nimbus supervisor view: the queue, the agents with their status and load, and reassigning.
   It signs in as the agent console does (the same token, in this tab's sessionStorage), reads
   GET /api/supervisor/overview again whenever the /agent socket says `overview_changed`, and
   every POLL_SECONDS besides. Every text is set with textContent: nothing anyone wrote becomes
   HTML. */
(function () {
  "use strict";
  var session = window.NimbusAgent;  // agent-session.js: the sign-in, the API, DOM helpers
  var api = session.api, el = session.el, clear = session.clear, minutes = session.minutes;
  // A fallback for what the socket does not push (an agent choosing "away" in their console).
  var POLL_SECONDS = 15;
  // Nudges come in bursts (a transfer tells several people): one fetch for the lot.
  var SETTLE_MS = 250;
  var REASONS = session.REASONS;
  var STATUSES = { online: "Online", away: "Away", offline: "Offline" };
  var SUPERVISING = ["supervisor", "admin"];
  var $ = function (id) { return document.getElementById(id); };
  var socket = null, pollTimer = null, settleTimer = null;
  var overview = null, fetchedAt = 0, shown = "", loading = false, again = false;
  var chosen = {};  // conversation id -> the agent picked for it, kept across redraws

  function notice(text) { $("notice").textContent = text; }
  function customerName(item) { return item.customer || "Unverified customer"; }
  function agentName(agent) { return agent.display_name || agent.username; }

  session.on("signedOut", function () { signedOut("Your session has ended: sign in again at the agent console."); });
  session.on("notice", notice);
  function failed(error) { if (error.message !== "signed out") notice("Could not do that: " + error.message + "."); }

  // -- who may look ----------------------------------------------------------------------------
  function gate(title, text, link) {
    stop();
    $("board").hidden = true; $("gate").hidden = false;
    $("gate-title").textContent = title;
    $("gate-text").textContent = text;
    $("gate-link").textContent = link || "";
    $("gate-link").hidden = !link;
  }
  function stop() {
    window.clearInterval(pollTimer); window.clearTimeout(settleTimer);
    if (socket) { socket.disconnect(); socket = null; }
  }
  function signedOut(message) {
    session.forget(false);
    $("me").hidden = true;
    gate("Signed out", message, "Sign in at the agent console");
  }
  $("logout").addEventListener("click", function () {
    session.forget(true);
    signedOut("Signed out.");
    notice("");
  });
  function start() {
    if (!session.token()) {
      gate("Sign in first", "The supervisor view uses your sign-in from the agent console.", "Sign in at the agent console");
      return;
    }
    // After a reload the token's end is unknown: a fresh one tells it (and 401 means sign in).
    session.refresh().then(function () {
      return api("GET", "/api/agent/me");
    }).then(function (agent) {
      $("me").hidden = false;
      $("me-name").textContent = agentName(agent) + " (" + agent.role + ")";
      $("dashboard-link").hidden = ["manager", "supervisor", "admin"].indexOf(agent.role) < 0;
      if (SUPERVISING.indexOf(agent.role) < 0) { notOurs(); return; }
      $("gate").hidden = true; $("board").hidden = false;
      connect();
      load();
      pollTimer = window.setInterval(load, POLL_SECONDS * 1000);
    }).catch(failed);
  }
  function notOurs() {
    gate("Supervisors only", "Only supervisors and admins can see this view.", "Back to the agent console");
  }

  // -- live: the socket nudges, the overview is fetched ----------------------------------------
  function connect() {
    if (!window.io) return;  // the socket client is missing: polling alone keeps the view fresh
    socket = window.io("/agent", { transports: ["websocket"], auth: function (cb) { cb({ token: session.token() }); } });
    socket.on("connect_error", function (error) {
      if (error.message === "authentication failed") signedOut("Please sign in again at the agent console.");
    });
    socket.on("signed_out", function () { signedOut("You were signed out: sign in again at the agent console."); });
    socket.on("connect", settle);
    socket.on("overview_changed", settle);
    socket.on("queue_updated", settle);
  }
  function settle() {
    window.clearTimeout(settleTimer);
    settleTimer = window.setTimeout(load, SETTLE_MS);
  }
  function load() {
    if (loading) { again = true; return; }
    loading = true;
    api("GET", "/api/supervisor/overview").then(show).catch(function (error) {
      if (error.status === 403) notOurs(); else failed(error);
    }).then(function () {
      loading = false;
      if (again) { again = false; load(); }
    });
  }
  // What changed, leaving out the times (they tick here): nothing changed, nothing redrawn, so
  // that a supervisor choosing an agent is not interrupted.
  function signature(data) {
    return JSON.stringify(data, function (key, value) { return /_seconds$/.test(key) ? undefined : value; });
  }
  function show(data) {
    var next = signature(data);
    if (next === shown) return;
    shown = next; overview = data; fetchedAt = Date.now();
    var focused = document.activeElement && document.activeElement.getAttribute("data-focus");
    renderTotals(); renderQueue(); renderChats(); renderAgents(); tick();
    if (focused) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-focus]"), function (node) {
        if (node.getAttribute("data-focus") === focused) node.focus();
      });
    }
  }
  function ticking(seconds) {
    return el("span", { class: "tick", "data-base": seconds === null || seconds === undefined ? "" : seconds }, minutes(seconds));
  }
  function tick() {
    var elapsed = (Date.now() - fetchedAt) / 1000;
    Array.prototype.forEach.call(document.querySelectorAll(".tick"), function (node) {
      var base = node.getAttribute("data-base");
      node.textContent = base === "" ? "–" : minutes(Number(base) + elapsed);
    });
  }
  window.setInterval(tick, 1000);

  // -- drawing -------------------------------------------------------------------------------
  function renderTotals() {
    var t = overview.totals, dl = clear($("totals"));
    [["Waiting", t.waiting], ["Longest wait", ticking(t.longest_wait_seconds)], ["With agents", t.assigned],
     ["Agents online", t.agents_online], ["Away", t.agents_away], ["Offline", t.agents_offline],
     ["Free seats", t.free_seats]].forEach(function (pair) {
      var group = el("div");
      var value = el("dd");
      if (typeof pair[1] === "object") value.append(pair[1]); else value.textContent = String(pair[1]);
      group.append(el("dt", {}, pair[0]), value);
      dl.append(group);
    });
  }
  function cell(row, text, attrs) {
    var td = el("td", attrs || {}, text);
    row.append(td);
    return td;
  }
  function renderQueue() {
    var body = clear(document.querySelector("#queue tbody"));
    $("queue-count").textContent = "(" + overview.queue.length + ")";
    $("queue-empty").hidden = overview.queue.length > 0;
    overview.queue.forEach(function (item) {
      var urgent = item.priority === "high" || item.vulnerable;
      var row = el("tr", { "data-conversation": item.conversation_id, class: urgent ? "priority" : "" });
      var who = cell(row, null);
      who.append(el("div", { class: "who" }, customerName(item)));
      if (item.summary) who.append(el("div", { class: "muted summary" }, item.summary));
      cell(row, item.skill || "–");
      cell(row, REASONS[item.reason] || item.reason || "–");
      cell(row, (item.priority === "high" ? "High" : "Normal") + (item.vulnerable ? " · vulnerable" : ""));
      cell(row, null).append(ticking(item.waiting_seconds));
      cell(row, null).append(reassignControl(item.conversation_id, null, customerName(item)));
      body.append(row);
    });
  }
  function renderChats() {
    var body = clear(document.querySelector("#chats tbody"));
    var count = 0;
    overview.agents.forEach(function (agent) {
      agent.conversations.forEach(function (chat) {
        count += 1;
        var row = el("tr", { "data-conversation": chat.conversation_id });
        cell(row, customerName(chat), { class: "who" });
        cell(row, chat.skill || "–");
        cell(row, agentName(agent));
        cell(row, null).append(ticking(chat.held_seconds));
        cell(row, null).append(reassignControl(chat.conversation_id, agent.username, customerName(chat)));
        body.append(row);
      });
    });
    $("chats-count").textContent = "(" + count + ")";
    $("chats-empty").hidden = count > 0;
  }
  function renderAgents() {
    var body = clear(document.querySelector("#agents tbody"));
    overview.agents.forEach(function (agent) {
      var row = el("tr", { "data-agent": agent.username });
      var who = cell(row, null);
      who.append(el("div", { class: "who" }, agentName(agent)));
      var also = [agent.display_name && agent.display_name !== agent.username ? agent.username : "",
                  agent.role === "agent" ? "" : agent.role].filter(Boolean);
      if (also.length) who.append(el("div", { class: "muted" }, also.join(" · ")));
      cell(row, STATUSES[agent.status] || agent.status, { class: "status status-" + agent.status });
      cell(row, agent.load + " / " + agent.capacity, { class: agent.load >= agent.capacity ? "load full" : "load" });
      cell(row, agent.skills.length ? agent.skills.join(", ") : "All skills");
      var list = el("ul", { class: "their-chats" });
      agent.conversations.forEach(function (chat) {
        list.append(el("li", {}, customerName(chat) + " · " + (chat.skill || "–")));
      });
      cell(row, null).append(agent.conversations.length ? list : el("span", { class: "muted" }, "None"));
      body.append(row);
    });
  }
  // A choice of the online agents (not the one who has the chat; those full can't be picked).
  function reassignControl(id, current, who) {
    var wrap = el("div", { class: "reassign" });
    var select = el("select", { "aria-label": "Reassign chat with " + who + " to", "data-focus": "select:" + id });
    select.append(el("option", { value: "" }, "Choose an agent"));
    overview.agents.forEach(function (agent) {
      if (agent.status !== "online" || agent.username === current) return;
      var full = agent.load >= agent.capacity;
      var option = el("option", { value: agent.username }, agentName(agent) + " (" + agent.load + " / " + agent.capacity + (full ? ", full)" : ")"));
      if (full) option.disabled = true;
      select.append(option);
    });
    select.value = chosen[id] || "";
    if (select.value !== (chosen[id] || "")) delete chosen[id];  // gone offline or full since
    select.addEventListener("change", function () { chosen[id] = select.value; });
    var button = el("button", { type: "button", "aria-label": "Reassign chat with " + who, "data-focus": "button:" + id }, "Reassign");
    button.addEventListener("click", function () { reassign(id, select.value, who); });
    wrap.append(select, button);
    return wrap;
  }
  function reassign(id, username, who) {
    if (!username) { notice("Choose an agent for the chat with " + who + " first."); return; }
    var agent = overview.agents.filter(function (a) { return a.username === username; })[0];
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/reassign", { agent: username }).then(function () {
      delete chosen[id];
      notice("The chat with " + who + " went to " + (agent ? agentName(agent) : username) + ".");
      load();
    }).catch(function (error) {
      if (error.message === "signed out") return;
      notice("Could not reassign the chat with " + who + ": " + error.message + ".");
      load();
    });
  }

  start();
})();
