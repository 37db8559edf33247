/* Nimbus bot trainer: what the bot did not understand in a period, grouped by meaning
   (GET /api/trainer/inbox), labelled into the NLU data (POST /api/trainer/labels, one request
   per language) or set aside (POST /api/trainer/inbox/state). It signs in as the dashboard does
   (agent-session.js: the same token in this tab's sessionStorage). What is shown lives in
   `view`; `drawInbox` draws the list from it alone, so a reload after any change is a redraw.
   Every text is set with textContent, never as HTML: the messages are customers' (redacted). */
(function () {
  "use strict";
  var session = window.NimbusAgent;  // agent-session.js: the sign-in, the API, DOM helpers
  var api = session.api, el = session.el, clear = session.clear;
  var F = window.NimbusInboxFilters;  // trainer-filters.js: by reason and by predicted intent
  var C = window.NimbusInboxContext;  // trainer-context.js: the conversations around a text
  var TRAINERS = ["trainer", "admin"];  // TRAINING_ROLES on the server
  var LIMIT = 100;  // groups asked for, largest first
  var MAX_ITEMS = 500, MAX_TEXTS = 200, MAX_TEXT = 500;  // the API's limits per request
  var NEW_INTENT = "+new";  // the intent select's "new intent" choice: no intent has a "+"
  var INTENT_NAME = /^[a-z][a-z0-9_]{0,63}(\/[a-z][a-z0-9_]{0,63})?$/;  // trainer/labels.py
  var ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  // Everything the page says, in one place (staff page: English only).
  var T = {
    signInFirst: "Sign in with your staff account to review what the bot did not understand.",
    sessionEnded: "Your session has ended: please sign in again.",
    signedOut: "Signed out.",
    gateTitle: "Bot trainers only",
    gateText: function (home) { return "This page is for bot trainers and admins. " + home; },
    homes: {
      manager: ["Your account is a manager's: the figures are on the dashboard.", "Go to the dashboard", "/dashboard"],
      supervisor: ["Your account is a supervisor's: the queue is in the supervisor view.", "Go to the supervisor view", "/supervisor"],
      agent: ["Your account is an agent's: your chats are in the agent console.", "Go to the agent console", "/console"]
    },
    couldNot: function (what, why) { return "Could not " + what + ": " + why + "."; },
    load: "load the messages", loadIntents: "load the intents", change: "change the state",
    zone: "Times in " + ZONE + ".",
    periods: { "7d": "Last 7 days", "30d": "Last 30 days" },
    language: { "": "All languages", en: "English", fr: "French" },
    channel: { "": "All channels", socketio: "Web widget", rest: "REST API" },
    state: { "new": "New", done: "Done", ignored: "Ignored", all: "All" },
    badge: { "new": "New", done: "Done", ignored: "Ignored", mixed: "Partly done" },
    languageOf: { en: "English", fr: "French", "": "Language unknown" },
    summary: function (messages, groups, when) { return "· " + count(messages) + plural(messages, " message") + " in " + count(groups) + plural(groups, " group") + ", " + when; },
    limited: "The " + LIMIT + " largest groups are shown.",
    ungrouped: function (n) { return count(n) + plural(n, " rare text") + " could not be compared with the others (too many at once): each is a group of its own."; },
    empty: { "new": "Nothing new to review in this period.", done: "No group is done in this period.", ignored: "No group is ignored in this period.", all: "Nothing in this period." },
    messages: function (n) { return count(n) + plural(n, " message"); },
    conversations: function (n) { return count(n) + plural(n, " conversation"); },
    seen: function (when) { return "seen " + when; },
    cohesion: function (value) { return "cohesion " + Number(value).toFixed(2); },
    cohesionHelp: "How close the messages are to the one shown: 1 is the same meaning.",
    texts: function (n) { return count(n) + plural(n, " distinct text"); },
    textsOf: function (text) { return "Texts of the group “" + text + "”"; },
    columns: ["Text", "Language", "Times", "State"],
    label: "Label…", actions: { ignored: "Ignore", done: "Mark done", "new": "Back to new" },
    stateSet: { ignored: "Ignored", done: "Marked done", "new": "Back to new" },
    stateNotice: function (done, text) { return done + ": “" + text + "”."; },
    chooseIntent: "Choose an intent…", newIntent: "New intent…",
    groupLine: function (text, n) { return "“" + text + "”, " + count(n) + plural(n, " message"); },
    times: function (n) { return count(n) + (n === 1 ? " time" : " times"); },
    cannot: { language: "language unknown: Ignore it, or label it with python -m trainer label", length: "longer than " + MAX_TEXT + " characters" },
    noIntent: "Choose an intent.", badName: "Name the new intent with lower-case letters, digits and _ (a FAQ topic as faq/<topic>).",
    noText: "Check at least one text.",
    tooManyTexts: function (language) { return "At most " + MAX_TEXTS + " " + T.languageOf[language] + " texts at once: uncheck some."; },
    outcome: { added: "Added", skipped: "Skipped", refused: "Refused", held: "Held back" },
    wroteTo: function (file) { return "Written to " + file + "."; },
    nothingWritten: "Nothing written.",
    groupRefused: "Refused: nothing was written for these texts.",
    notSent: function (why) { return "Not labelled: " + why + "."; },
    retrain: ["Retrain with ", " for the bot to use the new examples."],
    cancel: "Cancel", close: "Close"
  };
  var $ = function (id) { return document.getElementById(id); };
  // What is shown: the inbox's answer, the groups opened, the intents (a promise, fetched once),
  // and the group of the label dialog with whether anything was sent for it.
  var view = { inbox: null, open: {}, intents: null, group: null, labelled: false, sending: false, generation: 0 };

  function count(n) { return Number(n).toLocaleString("en"); }
  function plural(n, word) { return n === 1 ? word : word + "s"; }
  function notice(text) { $("notice").textContent = text; }
  session.on("signedOut", function () { signedOut(T.sessionEnded); });
  session.on("notice", notice);
  function failed(what) {
    return function (error) {
      if (error.message === "signed out" || error.message === "stale") return;
      if (error.status === 403) { notTrainer(null); return; }
      notice(T.couldNot(what, error.message));
    };
  }

  // -- who may look ------------------------------------------------------------------------------
  function show(name) {
    ["login-view", "gate", "inbox"].forEach(function (id) { $(id).hidden = id !== name; });
  }
  function stop() {
    view.generation += 1;  // answers still on their way are dropped
    view.inbox = null;
    view.group = null;  // the label dialog, if open, closes without reloading
    view.sending = false;
    if ($("label-dialog").open) $("label-dialog").close();
    C.close();
  }
  function signedOut(message) {
    stop();
    session.forget(false);
    $("me").hidden = true;
    show("login-view");
    notice(message || "");
  }
  function notTrainer(role) {
    stop();
    var home = T.homes[role] || T.homes.agent;
    show("gate");
    $("gate-title").textContent = T.gateTitle;
    $("gate-text").textContent = T.gateText(home[0]);
    $("gate-link").textContent = home[1];
    $("gate-link").setAttribute("href", home[2]);
  }
  $("logout").addEventListener("click", function () { session.forget(true); signedOut(T.signedOut); });
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
    session.refresh().then(function () { begin(false); }).catch(failed(T.load));
  }
  // `fresh`: signed in on this page. Anyone turned away is signed out again at once (an agent
  // signed in is online, and nobody would be at their console); one who came from another
  // page in this tab keeps their session.
  function begin(fresh) {
    api("GET", "/api/agent/me").then(function (agent) {
      $("me").hidden = false;
      $("me-name").textContent = (agent.display_name || agent.username) + " (" + agent.role + ")";
      $("dashboard-link").hidden = agent.role !== "admin";
      if (TRAINERS.indexOf(agent.role) < 0) {
        if (fresh) { session.forget(true); $("me").hidden = true; }
        notTrainer(agent.role);
        return;
      }
      show("inbox");
      loadInbox();
    }).catch(failed(T.load));
  }

  // -- filters, kept in the address: a reload or a shared link shows the same list -------------
  var FILTERS = { period: T.periods, language: T.language, channel: T.channel, state: T.state };
  Object.keys(FILTERS).forEach(function (name) {
    var select = $(name), saved = new URLSearchParams(window.location.search).get(name);
    Object.keys(FILTERS[name]).forEach(function (value) { select.append(el("option", { value: value }, FILTERS[name][value])); });
    select.value = saved === null ? select.options[0].value : saved;
    if (select.selectedIndex < 0) select.value = select.options[0].value;
    select.addEventListener("change", function () { loadInbox(); });
  });
  F.init(loadInbox);
  C.init(function () { return new URLSearchParams(query()); });
  $("zone").textContent = T.zone;
  $("filters").addEventListener("submit", function (event) { event.preventDefault(); loadInbox(); });

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // ISO 8601 with the browser's offset at that instant.
  function iso(date) {
    var offset = -date.getTimezoneOffset(), abs = Math.abs(offset);
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      (offset < 0 ? "-" : "+") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }
  // Whole local days up to now, today's partial day included (as the dashboard counts them).
  function query() {
    var now = new Date(), days = $("period").value === "30d" ? 30 : 7;
    var first = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days + 1);
    var asked = new URLSearchParams({ start: iso(first), end: iso(now), state: $("state").value, limit: String(LIMIT) });
    ["language", "channel"].forEach(function (name) { if ($(name).value) asked.set(name, $(name).value); });
    F.addTo(asked);
    return asked.toString();
  }
  function remember() {
    var kept = new URLSearchParams();
    Object.keys(FILTERS).forEach(function (name) { kept.set(name, $(name).value); });
    F.remember(kept);
    window.history.replaceState(null, "", window.location.pathname + "?" + kept.toString());
  }

  // -- the inbox ---------------------------------------------------------------------------------
  function loadInbox() {
    remember();
    var mine = ++view.generation;
    $("inbox").setAttribute("aria-busy", "true");
    return api("GET", "/api/trainer/inbox?" + query()).then(function (data) {
      if (mine !== view.generation) throw new Error("stale");
      view.inbox = data;
      F.drawn(data);
      drawInbox();
    }).catch(failed(T.load)).then(function () {
      var latest = mine === view.generation;  // drawn (or failed) as the last one asked
      if (latest) $("inbox").removeAttribute("aria-busy");
      return latest;
    });
  }
  var DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: ZONE });
  var MOMENT = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: ZONE });
  function span(format, start, end) {
    var first = format.format(new Date(start)), last = format.format(new Date(end));
    return first === last ? first : first + " – " + last;
  }
  function drawInbox() {
    var data = view.inbox, list = clear($("groups"));
    $("summary").textContent = T.summary(data.messages, data.groups.length,
      span(DAY, data.start, new Date(new Date(data.end) - 1)));  // [start, end)
    data.groups.forEach(function (group, i) { list.append(card(group, "group-" + i)); });
    var notes = [];
    if (data.groups.length >= LIMIT) notes.push(T.limited);
    if (data.ungrouped) notes.push(T.ungrouped(data.ungrouped));
    $("empty").hidden = data.groups.length > 0 && !notes.length;
    $("empty").textContent = data.groups.length ? notes.join(" ") : T.empty[$("state").value];
  }
  // A text in its language, so that screen readers read French as French.
  function said(name, text, language) { return el(name, T.languageOf[language] && language ? { lang: language } : {}, text); }
  function card(group, id) {
    var item = el("li", { class: "group card", "data-key": group.key, "data-state": group.state });
    var head = el("div", { class: "group-head" }), title = el("h3", { id: id + "-title", tabindex: "-1" });
    var own = group.texts.filter(function (t) { return t.key === group.key; })[0];
    title.append(said("q", group.representative, own ? own.language : ""));
    head.append(title, el("span", { class: "badge " + group.state }, T.badge[group.state] || group.state));
    var facts = el("p", { class: "facts" }, [T.messages(group.count), T.conversations(group.conversations),
      group.languages.map(function (l) { return T.languageOf[l] || l; }).join(", "),
      T.seen(span(MOMENT, group.first_at, group.last_at))].join(" · ") + " · ");
    facts.append(el("span", { title: T.cohesionHelp }, T.cohesion(group.cohesion)));
    var actions = el("div", { class: "actions" });
    actions.append(el("button", { type: "button", "data-action": "label", "aria-haspopup": "dialog", "aria-describedby": id + "-title" }, T.label));
    ["ignored", "done", "new"].forEach(function (state) {
      if (state === group.state) return;
      actions.append(el("button", { type: "button", class: "secondary", "data-action": state, "aria-describedby": id + "-title" }, T.actions[state]));
    });
    item.append(head, facts, F.tags(group.sources), actions, textsOf(group));
    return item;
  }
  function textsOf(group) {
    var details = el("details", { class: "texts" });
    details.open = !!view.open[group.key];
    details.append(el("summary", {}, T.texts(group.texts.length)));
    var table = el("table"), head = el("tr"), body = el("tbody");
    table.append(el("caption", { class: "vh" }, T.textsOf(group.representative)));
    T.columns.concat(F.columns, [C.column]).forEach(function (name, i) { head.append(el("th", { scope: "col", class: i === 2 ? "num" : "" }, name)); });
    group.texts.forEach(function (t) {
      var row = el("tr", { "data-language": t.language });
      row.append(said("td", t.text, t.language), el("td", {}, T.languageOf[t.language] || t.language),
        el("td", { class: "num" }, count(t.count)), el("td", {}, T.badge[t.state] || t.state));
      F.cells(t).forEach(function (cell) { row.append(cell); });
      row.append(C.cell(t));
      body.append(row);
    });
    var thead = el("thead");
    thead.append(head);
    table.append(thead, body);
    details.append(el("div", { class: "scroll" }));
    details.lastChild.append(table);
    details.addEventListener("toggle", function () { view.open[group.key] = details.open; });
    return details;
  }
  function groupOf(node) {
    var item = node.closest("li.group"), key = item && item.getAttribute("data-key");
    return view.inbox && view.inbox.groups.filter(function (g) { return g.key === key; })[0];
  }
  // After a change the list is read again; the focus goes back to where it was, or, the group
  // having left the list, to the group now in its place (the next one), else the list's title.
  function reloadAt(key, action) {
    var index = view.inbox ? view.inbox.groups.map(function (g) { return g.key; }).indexOf(key) : -1;
    return loadInbox().then(function (latest) { if (latest) place(key, action, index); });
  }
  function place(key, action, index) {
    var items = $("groups").children, same = null;
    Array.prototype.forEach.call(items, function (item) { if (item.getAttribute("data-key") === key) same = item; });
    var target = same ? same.querySelector('[data-action="' + action + '"]') || same.querySelector("h3")
      : items.length && index >= 0 ? items[Math.min(index, items.length - 1)].querySelector("h3") : $("groups-title");
    if (!$("inbox").hidden) target.focus();
  }
  $("groups").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]"), group = button && groupOf(button);
    if (!group) return;
    var action = button.getAttribute("data-action");
    if (action === "label") { openLabel(group); return; }
    button.disabled = true;
    var items = group.texts.map(function (t) { return { key: t.key, language: t.language }; });
    var sent = Promise.resolve();
    for (var i = 0; i < items.length; i += MAX_ITEMS) {
      sent = sent.then(api.bind(null, "POST", "/api/trainer/inbox/state", { items: items.slice(i, i + MAX_ITEMS), state: action }));
    }
    sent.then(function () {
      notice(T.stateNotice(T.stateSet[action], group.representative));
      return reloadAt(group.key, action);
    }).catch(function (error) { button.disabled = false; failed(T.change)(error); });
  });

  // -- labelling: one request per language of the texts checked, one after the other ----------
  var dialog = $("label-dialog");
  function intents() {
    if (!view.intents) {
      view.intents = api("GET", "/api/trainer/intents").catch(function (error) { view.intents = null; throw error; });
    }
    return view.intents;
  }
  function openLabel(group) {
    view.group = group;
    view.labelled = false;
    $("label-form").reset();
    $("label-group").textContent = T.groupLine(group.representative, group.count);
    ["label-error", "results-list", "retrain"].forEach(function (id) { clear($(id)); });
    $("label-results").hidden = $("retrain").hidden = $("new-intent-field").hidden = true;
    $("label-submit").hidden = false;
    // Until the intents are in: nothing to choose from, nothing to send.
    $("label-submit").disabled = $("intent").disabled = true;
    $("label-cancel").textContent = T.cancel;
    Array.prototype.forEach.call($("label-texts").querySelectorAll(".check"), function (row) { row.remove(); });
    clear($("intent")).append(el("option", { value: "" }, T.chooseIntent));
    dialog.showModal();
    intents().then(function (data) {
      if (view.group !== group) return;
      data.intents.forEach(function (name) { $("intent").append(el("option", { value: name }, name)); });
      $("intent").append(el("option", { value: NEW_INTENT }, T.newIntent));
      fillTexts(group, data.languages);
      $("label-submit").disabled = $("intent").disabled = false;
      $("intent").focus();
    }).catch(function (error) {
      if (error.message !== "signed out") $("label-error").textContent = T.couldNot(T.loadIntents, error.message);
    });
  }
  function fillTexts(group, languages) {
    group.texts.forEach(function (t, i) {
      var why = languages.indexOf(t.language) < 0 ? T.cannot.language : t.text.length > MAX_TEXT ? T.cannot.length : "";
      var row = el("div", { class: "check" }), box = el("input", { type: "checkbox", id: "label-text-" + i, value: String(i) });
      box.checked = !why;
      box.disabled = !!why;
      var label = el("label", { for: box.id });
      label.append(said("span", t.text, t.language),
        el("span", { class: "muted" }, " · " + (T.languageOf[t.language] || t.language) + " · " + T.times(t.count) + (why ? " · " + why : "")));
      row.append(box, label);
      $("label-texts").append(row);
    });
  }
  $("intent").addEventListener("change", function () {
    $("new-intent-field").hidden = $("intent").value !== NEW_INTENT;
    if ($("intent").value === NEW_INTENT) $("new-intent").focus();
  });
  // What was asked, or why not: [error, field to fix].
  function asked(group) {
    var select = $("intent"), fresh = select.value === NEW_INTENT;
    var intent = fresh ? $("new-intent").value.trim() : select.value, texts = {}, order = [];
    Array.prototype.forEach.call($("label-texts").querySelectorAll("input:checked"), function (box) {
      var t = group.texts[Number(box.value)];
      if (!texts[t.language]) { texts[t.language] = []; order.push(t.language); }
      texts[t.language].push(t.text);
    });
    var crowded = order.filter(function (language) { return texts[language].length > MAX_TEXTS; })[0];
    if (!select.value) return { problem: [T.noIntent, select] };
    if (fresh && !INTENT_NAME.test(intent)) return { problem: [T.badName, $("new-intent")] };
    if (!order.length) return { problem: [T.noText, $("label-texts").querySelector("input:not(:disabled)") || select] };
    if (crowded) return { problem: [T.tooManyTexts(crowded), $("label-texts").querySelector("input:checked")] };
    return { intent: intent, fresh: fresh, texts: texts, order: order };
  }
  $("label-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var group = view.group;
    if (!group || view.sending || view.labelled) return;
    var request = asked(group);
    if (request.problem) { $("label-error").textContent = request.problem[0]; request.problem[1].focus(); return; }
    $("label-error").textContent = "";
    sending(true);
    request.order.reduce(function (previous, language) {
      return previous.then(function () {
        var body = { intent: request.intent, language: language, texts: request.texts[language], new_intent: request.fresh };
        return send("/api/trainer/labels", body).then(function (answer) { drawResult(language, answer); });
      });
    }, Promise.resolve()).then(function () {
      view.labelled = true;
      sending(false);
      $("label-submit").hidden = true;
      $("label-cancel").textContent = T.close;
      $("results-title").focus();
    }).catch(function (error) {  // signed out (the dialog is closed), or the network failed
      sending(false);
      if (error.message !== "signed out") $("label-error").textContent = T.notSent(error.message);
    });
  });
  function sending(busy) {
    view.sending = busy;
    $("label-submit").disabled = $("label-cancel").disabled = busy;
    if (busy) dialog.setAttribute("aria-busy", "true"); else dialog.removeAttribute("aria-busy");
  }
  // The labels' answer whatever its status: 409 carries the outcomes of a refused group.
  function send(path, body) {
    return fetch(path, {
      method: "POST", body: JSON.stringify(body),
      headers: { Authorization: "Bearer " + session.token(), "Content-Type": "application/json" }
    }).then(function (response) {
      if (response.status === 401) { signedOut(T.sessionEnded); throw new Error("signed out"); }
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    });
  }
  function why(answer) {
    var detail = answer.data && answer.data.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {  // FastAPI's 422: where and why
      return detail.map(function (p) { return (p.loc || []).filter(function (x) { return x !== "body"; }).join(".") + ": " + p.msg; }).join("; ");
    }
    return "error " + answer.status;
  }
  function drawResult(language, answer) {
    var data = answer.data || {}, part = el("section", { class: "result", "data-language": language });
    part.append(el("h4", {}, T.languageOf[language] || language));
    $("label-results").hidden = false;
    $("results-list").append(part);
    if (!Array.isArray(data.outcomes)) { part.append(el("p", { class: "error" }, T.notSent(why(answer)))); return; }
    var refused = answer.status !== 200, list = el("ul", { class: "outcomes" });
    part.append(el("p", { class: refused ? "error" : "" }, refused ? T.groupRefused : data.file ? T.wroteTo(data.file) : T.nothingWritten));
    data.outcomes.forEach(function (o) {
      var line = el("li", { class: "outcome " + o.status, "data-status": o.status });
      line.append(el("span", { class: "status" }, T.outcome[o.status] || o.status), " ", said("q", o.text, language));
      if (o.reason) line.append(el("span", { class: "reason" }, " — " + o.reason));
      list.append(line);
    });
    part.append(list);
    (data.warnings || []).forEach(function (warning) { part.append(el("p", { class: "muted" }, warning)); });
    if (refused || !data.outcomes.some(function (o) { return o.status === "added"; })) return;
    clear($("retrain")).append(T.retrain[0], el("code", {}, data.retrain || "make model"), T.retrain[1]);
    $("retrain").hidden = false;
  }
  dialog.addEventListener("cancel", function (event) { if (view.sending) event.preventDefault(); });
  $("label-cancel").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () {
    var group = view.group;
    view.group = null;
    if (!group) return;  // signed out meanwhile
    if (view.labelled) reloadAt(group.key, "label");
    else place(group.key, "label", -1);
  });

  start();
})();
