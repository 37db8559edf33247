/* Nimbus bot trainer, models and roll-out: train a model (trainer-models-train.js), the registry
   (GET /api/trainer/models) with each model's evaluation opened in its row
   (GET /api/trainer/models/{id}), trying one on a share of customers (POST
   /api/trainer/rollout/publish), and the roll-out with its audit log (trainer-models-rollout.js).
   It signs in as the trainer's inbox does (agent-session.js: the same token in this tab's
   sessionStorage). Every text is set with textContent, never as HTML. */
(function () {
  "use strict";
  var session = window.NimbusAgent;  // agent-session.js: the sign-in, the API, DOM helpers
  var api = session.api, el = session.el, clear = session.clear;
  var F = window.NimbusModelsFormat;
  var TRAINERS = ["trainer", "admin"];  // TRAINING_ROLES on the server
  var T = {
    signInFirst: "Sign in with your staff account to train models and roll them out.",
    sessionEnded: "Your session has ended: please sign in again.",
    signedOut: "Signed out.",
    gateText: "This page is for bot trainers and admins. ",
    homes: {
      manager: ["Your account is a manager's: the figures are on the dashboard.", "Go to the dashboard", "/dashboard"],
      supervisor: ["Your account is a supervisor's: the queue is in the supervisor view.", "Go to the supervisor view", "/supervisor"],
      agent: ["Your account is an agent's: your chats are in the agent console.", "Go to the agent console", "/console"]
    },
    couldNot: function (what, why) { return "Could not " + what + ": " + why + "."; },
    loadModels: "load the models", loadModel: "load the evaluation", publish: "publish the model",
    role: { live: "Live", candidate: "Candidate" },
    on: function (servers) { return servers.length ? "on server " + servers.join(" and ") : "on no server"; },
    origin: function (m) { return (m.source === "trained" ? "trained by " : "imported by ") + m.author + " · " + F.bytes(m.size_bytes); },
    verdict: { pass: "Passed", fail: "Failed", none: "Not judged" },
    failedOf: function (m) { return m.failed_checks.length + " of " + m.checks + " checks failed"; },
    allPassed: function (m) { return "all " + m.checks + " checks"; },
    columns: ["Model", "Created", "Verdict", "Summary"],
    open: "Evaluation", tryIt: "Try on a share…",
    canaryNote: function (id) { return "A canary of " + id + " is running: promote it or roll it back before trying another model."; },
    judged: {
      pass: function (d) { return "Passed all " + d.checks + " checks against the live model it was evaluated with."; },
      fail: function (d) { return "Failed " + d.failed_checks.length + " of " + d.checks + " checks against the live model it was evaluated with:"; },
      none: "Not judged: evaluated without a live model to compare with, or not evaluated."
    },
    notEvaluated: "No evaluation stored for this model.",
    setsCaption: function (id) { return "Scores of " + id + " per evaluation set, against the live model"; },
    setColumns: ["Set", "Messages", "Macro recall", "vs live", "OOS false-accept", "vs live"],
    perSet: function (name) { return name + ": per intent, confusions"; },
    intentColumns: ["Intent", "Messages", "Live", "This model", "Change"],
    intentsOf: function (name) { return "Recall per intent on " + name + ", worst change first"; },
    confusions: "Most frequent confusions", noConfusion: "No confusion.",
    confusion: function (c) { return c.expected + " → " + c.predicted + ": " + F.plural(c.count, "message"); },
    misses: "Regression messages it gets wrong",
    miss: function (m) { return "“" + m.text + "”: " + m.expected + ", taken as " + m.predicted; },
    seconds: function (s) { return "Evaluated in " + Math.round(s) + " s."; },
    publishOf: function (m) { return "Model " + m.id + " (" + T.origin(m) + "), created " + F.when(m.created_at) + "."; },
    warnFail: function (m) { return "Warning: this model failed its evaluation (" + T.failedOf(m) + "). Customers in the share may get worse answers; the gates roll it back if its figures break."; },
    warnNone: "Warning: this model has no evaluation verdict. Customers in the share may get worse answers.",
    needForce: "Tick “Publish it anyway” to publish a model without a passed verdict.",
    published: function (id, share) { return "Published " + id + " to " + F.pct(share, 0) + " of new conversations."; }
  };
  var $ = function (id) { return document.getElementById(id); };
  var view = { models: [], details: {}, open: {}, rollout: null, publishing: null, sending: false, generation: 0 };

  function notice(text) { $("notice").textContent = text; }
  function failed(what) {
    return function (error) {
      if (error.message === "signed out" || error.message === "stale") return;
      if (error.status === 403) { notTrainer(null); return; }
      notice(T.couldNot(what, error.message));
    };
  }
  var ctx = { api: api, el: el, clear: clear, notice: notice, failed: failed };
  ctx.trained = function () { loadModels(); view.rollout && rollout.load(); };
  ctx.changed = function (page) {
    var before = view.rollout && view.rollout.rollout, now = page.rollout;
    view.rollout = page;
    // Who is live or the candidate changed: the table says it.
    if (!before || !now || before.updated_at !== now.updated_at) loadModels();
  };
  var train = window.NimbusTrain(ctx), rollout = window.NimbusRollout(ctx);

  // -- who may look ------------------------------------------------------------------------------
  function show(name) { ["login-view", "gate", "work"].forEach(function (id) { $(id).hidden = id !== name; }); }
  function stop() {
    view.generation += 1;
    train.stop();
    rollout.stop();
    view.rollout = null;
    ["publish-dialog", "decide-dialog"].forEach(function (id) { if ($(id).open) $(id).close(); });
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
    $("gate-text").textContent = T.gateText + home[0];
    $("gate-link").textContent = home[1];
    $("gate-link").setAttribute("href", home[2]);
  }
  session.on("signedOut", function () { signedOut(T.sessionEnded); });
  session.on("notice", notice);
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
    session.refresh().then(function () { begin(false); }).catch(failed(T.loadModels));
  }
  // Anyone turned away is signed out again if they signed in here (as on the inbox page).
  function begin(fresh) {
    api("GET", "/api/agent/me").then(function (agent) {
      $("me").hidden = false;
      $("me-name").textContent = (agent.display_name || agent.username) + " (" + agent.role + ")";
      if (TRAINERS.indexOf(agent.role) < 0) {
        if (fresh) { session.forget(true); $("me").hidden = true; }
        notTrainer(agent.role);
        return;
      }
      show("work");
      loadModels();
      train.start();
      rollout.start();
    }).catch(failed(T.loadModels));
  }

  // -- the registry ------------------------------------------------------------------------------
  function loadModels() {
    var mine = ++view.generation;
    return api("GET", "/api/trainer/models").then(function (models) {
      if (mine !== view.generation) return;
      view.models = models;
      view.details = {};  // verdicts do not change, but a row's role does: asked again when opened
      drawModels();
    }).catch(failed(T.loadModels));
  }
  function canaryOf() {
    var state = view.rollout && view.rollout.rollout;
    return state && state.mode === "canary" ? state.candidate_model : null;
  }
  function drawModels() {
    var body = clear($("models")), running = canaryOf();
    $("models-empty").hidden = view.models.length > 0;
    $("models-note").hidden = !running;
    $("models-note").textContent = running ? T.canaryNote(running) : "";
    view.models.forEach(function (m, i) {
      var row = el("tr", { "data-model": m.id, "data-verdict": m.verdict || "none" }), id = "model-" + i;
      var name = el("td", { "data-label": T.columns[0] });
      name.append(el("code", { id: id + "-name" }, m.id));
      if (m.role) name.append(" ", el("span", { class: "badge role role-" + m.role }, T.role[m.role]));
      name.append(el("span", { class: "muted block" }, T.origin(m) + " · " + T.on(m.servers)));
      var verdict = el("td", { "data-label": T.columns[2] });
      verdict.append(el("span", { class: "badge verdict " + (m.verdict || "none") }, T.verdict[m.verdict || "none"]));
      if (m.verdict) verdict.append(el("span", { class: "muted block" }, m.verdict === "fail" ? T.failedOf(m) : T.allPassed(m)));
      var cell = el("td", { class: "actions-cell" }), actions = el("div", { class: "row-actions" });
      cell.append(actions);
      var toggle = el("button", { type: "button", class: "secondary", "data-action": "evaluation", "aria-expanded": "false",
        "aria-controls": id + "-detail", "aria-describedby": id + "-name" }, T.open);
      actions.append(toggle);
      if (!m.role && !running) {
        actions.append(el("button", { type: "button", "data-action": "publish", "aria-haspopup": "dialog", "aria-describedby": id + "-name" }, T.tryIt));
      }
      row.append(name, el("td", { "data-label": T.columns[1] }, F.when(m.created_at)), verdict,
        el("td", { class: "summary", "data-label": T.columns[3] }, m.summary || "–"), cell);
      var detail = el("tr", { id: id + "-detail", class: "detail", "data-model": m.id });
      detail.hidden = true;
      detail.append(el("td", { colspan: "5" }));
      body.append(row, detail);
      if (view.open[m.id]) openEvaluation(row, false);
    });
  }
  function modelOf(node) {
    var row = node.closest("tr[data-model]"), id = row && row.getAttribute("data-model");
    return view.models.filter(function (m) { return m.id === id; })[0];
  }
  $("models").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]"), model = button && modelOf(button);
    if (!model) return;
    if (button.getAttribute("data-action") === "publish") { openPublish(model); return; }
    var row = button.closest("tr");
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      row.nextSibling.hidden = true;
      view.open[model.id] = false;
    } else {
      openEvaluation(row, true);
    }
  });
  function openEvaluation(row, asked) {
    var id = row.getAttribute("data-model"), detail = row.nextSibling, toggle = row.querySelector('[data-action="evaluation"]');
    view.open[id] = true;
    toggle.setAttribute("aria-expanded", "true");
    detail.hidden = false;
    var found = view.details[id] || api("GET", "/api/trainer/models/" + encodeURIComponent(id));
    view.details[id] = found;
    Promise.resolve(found).then(function (data) {
      if (detail.isConnected) clear(detail.firstChild).append(evaluation(data));
    }).catch(function (error) {
      delete view.details[id];
      if (asked) failed(T.loadModel)(error);
    });
  }

  // A model's evaluation: its verdict in words, each set against the live model, then per set
  // the intents (worst change first), the confusions and the regression messages it misses.
  function evaluation(d) {
    var box = el("div", { class: "evaluation" });
    box.append(el("p", { class: "verdict-line" }, d.verdict ? T.judged[d.verdict](d) : T.judged.none));
    if (d.failed_checks.length) {
      var failedList = el("ul", { class: "failed-checks" });
      d.failed_checks.forEach(function (c) { failedList.append(el("li", {}, c.says)); });
      box.append(failedList);
    }
    if (!d.evaluation) { box.append(el("p", { class: "muted" }, T.notEvaluated)); return box; }
    var title = "sets-of-" + d.id, table = el("table", { class: "sets", "aria-labelledby": title }), head = el("tr"), body = el("tbody");
    box.append(el("h4", { id: title }, T.setsCaption(d.id)));
    T.setColumns.forEach(function (name, i) { head.append(el("th", { scope: "col", class: i ? "num" : "" }, name)); });
    d.evaluation.sets.forEach(function (s) {
      var tr = el("tr", { "data-set": s.name });
      tr.append(el("th", { scope: "row" }, s.name), el("td", { class: "num" }, F.count(s.n)),
        el("td", { class: "num" }, F.pct(s.macro)), change(s.macro_delta, 1),
        el("td", { class: "num" }, s.oos_n ? F.pct(s.oos_false_accept) + " (n = " + s.oos_n + ")" : F.NONE), change(s.oos_false_accept_delta, -1));
      body.append(tr);
    });
    var thead = el("thead");
    thead.append(head);
    table.append(thead, body);
    box.append(scroll(table));
    d.evaluation.sets.forEach(function (s) { box.append(setDetails(s)); });
    box.append(el("p", { class: "muted" }, T.seconds(d.evaluation.seconds)));
    return box;
  }
  // A change, green when better: `sense` 1 when up is better, -1 when down is.
  function change(delta, sense) {
    var better = F.known(delta) && delta * sense > 0.0005, worse = F.known(delta) && delta * sense < -0.0005;
    return el("td", { class: "num change" + (better ? " better" : worse ? " worse" : "") }, F.points(delta));
  }
  function scroll(node) { var box = el("div", { class: "scroll" }); box.append(node); return box; }
  function setDetails(s) {
    var details = el("details", { class: "set", "data-set": s.name });
    details.append(el("summary", {}, T.perSet(s.name)));
    if (s.intents.length) {
      var table = el("table", { class: "intents" }), head = el("tr"), body = el("tbody");
      table.append(el("caption", { class: "vh" }, T.intentsOf(s.name)));
      T.intentColumns.forEach(function (name, i) { head.append(el("th", { scope: "col", class: i ? "num" : "" }, name)); });
      s.intents.forEach(function (i) {
        var tr = el("tr");
        tr.append(el("th", { scope: "row" }, i.intent), el("td", { class: "num" }, F.count(i.support)),
          el("td", { class: "num" }, F.pct(i.live)), el("td", { class: "num" }, F.pct(i.candidate)), change(i.delta, 1));
        body.append(tr);
      });
      var thead = el("thead");
      thead.append(head);
      table.append(thead, body);
      details.append(scroll(table));
    }
    details.append(el("h4", {}, T.confusions));
    var list = el("ul", { class: "confusions" });
    s.confusions.forEach(function (c) { list.append(el("li", {}, T.confusion(c))); });
    details.append(s.confusions.length ? list : el("p", { class: "muted" }, T.noConfusion));
    if (s.misses.length) {
      var misses = el("ul", { class: "misses" });
      s.misses.forEach(function (m) { misses.append(el("li", {}, T.miss(m))); });
      details.append(el("h4", {}, T.misses), misses);
    }
    return details;
  }

  // -- publish: the share, and force for a model without a passed verdict ---------------------
  var dialog = $("publish-dialog");
  function shareText() { var text = $("share").value + " %"; $("share-output").textContent = text; $("share").setAttribute("aria-valuetext", text); }
  $("share").addEventListener("input", shareText);
  function openPublish(model) {
    view.publishing = model;
    var fallback = view.rollout ? view.rollout.default_share : 0.5;
    $("share").value = String(Math.min(100, Math.max(5, Math.round(fallback * 20) * 5)));
    shareText();
    $("publish-model").textContent = T.publishOf(model);
    $("force").checked = false;
    $("force-field").hidden = model.verdict === "pass";
    $("force-warning").textContent = model.verdict === "fail" ? T.warnFail(model) : T.warnNone;
    $("publish-error").textContent = "";
    dialog.showModal();
    $("share").focus();
  }
  $("publish-cancel").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("cancel", function (event) { if (view.sending) event.preventDefault(); });
  dialog.addEventListener("close", function () {
    var model = view.publishing;
    view.publishing = null;
    if (!model) return;  // published (the focus went to the roll-out), or signed out
    var row = $("models").querySelector('tr[data-model="' + model.id + '"] [data-action="publish"]');
    if (row) row.focus();
  });
  $("publish-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var model = view.publishing;
    if (!model || view.sending) return;
    var force = model.verdict !== "pass" && $("force").checked;
    if (model.verdict !== "pass" && !force) { $("publish-error").textContent = T.needForce; $("force").focus(); return; }
    var share = Number($("share").value) / 100;
    view.sending = true;
    $("publish-submit").disabled = $("publish-cancel").disabled = true;
    api("POST", "/api/trainer/rollout/publish", { model_id: model.id, share: share, force: force }).then(function (answer) {
      view.publishing = null;
      dialog.close();
      notice(T.published(model.id, answer.rollout.share));
      rollout.load();
      $("rollout-title").focus();
    }).catch(function (error) {
      if (error.message !== "signed out") $("publish-error").textContent = error.message;
    }).then(function () {
      view.sending = false;
      $("publish-submit").disabled = $("publish-cancel").disabled = false;
    });
  });

  start();
})();
