/* The page's Roll-out and Audit log sections (GET /api/trainer/rollout, asked again every
   POLL_MS): the live model and the candidate, the two arms side by side with their counts,
   what the gates would decide now and why, and the trainer's actions on the canary (share,
   promote, roll back, each with its reason in a dialog). `ctx` is the page's: api, el, clear,
   notice, failed(what), and changed(page) after each answer (the models' table shows which
   model is live). */
window.NimbusRollout = function (ctx) {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var F = window.NimbusModelsFormat, el = ctx.el, clear = ctx.clear;
  var POLL_MS = 5000;
  var T = {
    none: "No roll-out yet: the gateway creates it at its first start (make run).",
    idle: "Every new conversation gets the live model. Try a model on a share of customers from the Models table.",
    canary: function (share) { return "Canary: the candidate takes " + F.pct(share, 0) + " of new conversations; each keeps its model to its end."; },
    facts: { live: "Live model", candidate: "Candidate", share: "Share", started: "Canary started", lastStarted: "Last canary", changed: "Last change", servers: "Servers" },
    onServer: function (model, server) { return model + " on server " + server; },
    shareOf: function (share) { return F.pct(share, 0) + " of new conversations"; },
    at: function (iso) { return F.when(iso) + " (" + F.ago(iso) + ")"; },
    by: function (who, iso) { return who + ", " + F.when(iso); },
    holds: function (server) { return server.name + " holds " + server.model_id; },
    arms: [
      ["Conversations", function (a) { return F.count(a.conversations); }],
      ["Messages answered", function (a) { return F.count(a.messages); }],
      ["Fallback rate", function (a) { return F.ratio(a.fallback_rate, a.fallbacks, a.measured); }],
      ["Hand-over rate", function (a) { return F.ratio(a.handover_rate, a.handovers, a.conversations); }],
      ["Containment", function (a) { return F.ratio(a.containment, a.contained, a.requests); }],
      ["CSAT", function (a) { return F.score(a.csat, a.ratings); }],
      ["Latency p50 / p95", function (a) { return F.ms(a.latency_ms.p50) + " / " + F.ms(a.latency_ms.p95); }],
      ["Server failures", function (a) { return F.count(a.failures); }]
    ],
    decision: { wait: "The gates would wait for now:", promote: "The gates would promote the candidate now:", rollback: "The gates would roll the candidate back now:" },
    decisionNote: "The gateway applies the gates by itself when it runs two Rasa servers.",
    gates: function (g) {
      var pts = function (x) { return String(Math.round(x * 1000) / 10) + " points"; };
      return "Gates, against the live arm, once each arm has " + g.min_conversations + " conversations: fallback rate at most " +
        pts(g.max_fallback_increase) + " higher, hand-over rate at most " + pts(g.max_handover_increase) + " higher, containment at most " +
        pts(g.max_containment_drop) + " lower, CSAT at most " + g.max_csat_drop + " lower (with " + g.min_ratings + " ratings on each arm).";
    },
    decide: {
      promote: ["Promote now", "The candidate becomes the live model for every new conversation. Conversations under way keep their model.", "Promote"],
      rollback: ["Roll back now", "The canary ends: new conversations get the live model only. Conversations under way keep their model.", "Roll back"]
    },
    done: { promote: "Promoted: the candidate is the live model now.", rollback: "Rolled back: the live model serves every new conversation." },
    shareSet: function (share) { return "The candidate now takes " + F.pct(share, 0) + " of new conversations."; },
    noReason: "Say why, in a few words: it goes into the audit log.",
    load: "load the roll-out", act: "change the roll-out",
    actions: {
      initial: function (l) { return "Started with " + l.model_id + " live"; },
      imported_live: function (l) { return "Made " + l.model_id + " live at start-up (a new model file)"; },
      published: function (l, d) { return "Published " + l.model_id + " to " + F.pct(d.share, 0) + " of new conversations, on server " + d.server + (d.forced ? " (forced: its verdict was " + (d.verdict || "not given") + ")" : ""); },
      share_changed: function (l, d) { return "Share of " + l.model_id + " changed from " + F.pct(d.from, 0) + " to " + F.pct(d.to, 0); },
      promoted: function (l, d) { return "Promoted " + l.model_id + why(d); },
      rolled_back: function (l, d) { return "Rolled back " + l.model_id + why(d); },
      candidate_failed: function (l, d) { return "Server " + (d.server || "") + " of " + l.model_id + " did not answer: the live model answered"; },
      training_started: function (l, d) { return "Started a training" + (d.finetune ? " (fine-tuning)" : "") + (d.job_id ? " (job " + d.job_id + ")" : ""); },
      trained: function (l, d) { return "Trained " + l.model_id + (d.summary ? ": " + d.summary : ""); },
      training_failed: function (l, d) { return "A training failed" + (d.error ? ": " + d.error : ""); }
    }
  };
  function why(details) {
    var reasons = details.reasons && details.reasons.length ? details.reasons.join("; ") : details.reason;
    return reasons ? ": “" + reasons + "”" : "";
  }
  var page = null, timer = null, generation = 0, deciding = null, sending = false;

  function load() {
    window.clearTimeout(timer);
    var mine = ++generation;
    // A tab in the background asks nothing; it catches up when shown (`visibilitychange`).
    if (document.hidden && page) { timer = window.setTimeout(load, POLL_MS); return Promise.resolve(); }
    return ctx.api("GET", "/api/trainer/rollout").then(function (data) {
      if (mine !== generation) return;
      page = data;
      draw(data);
      ctx.changed(data);
    }).catch(ctx.failed(T.load)).then(function () {
      if (mine === generation) timer = window.setTimeout(load, POLL_MS);
    });
  }
  function stop() { generation += 1; window.clearTimeout(timer); page = null; }
  document.addEventListener("visibilitychange", function () { if (!document.hidden && page) load(); });

  function fact(list, term, value) {
    var row = el("div");
    row.append(el("dt", {}, term), el("dd", {}, value));
    list.append(row);
  }
  function draw(data) {
    var state = data.rollout, facts = clear($("rollout-facts")), canary = !!state && state.mode === "canary";
    $("rollout").setAttribute("data-mode", state ? state.mode : "none");
    $("rollout-mode").textContent = !state ? T.none : canary ? T.canary(state.share) : T.idle;
    if (state) {
      fact(facts, T.facts.live, T.onServer(state.live_model, state.live_server));
      if (canary) {
        fact(facts, T.facts.candidate, T.onServer(state.candidate_model, state.candidate_server));
        fact(facts, T.facts.share, T.shareOf(state.share));
        fact(facts, T.facts.started, T.at(state.started_at));
      } else if (state.started_at) {
        fact(facts, T.facts.lastStarted, T.at(state.started_at));
      }
      fact(facts, T.facts.changed, T.by(state.updated_by, state.updated_at));
      fact(facts, T.facts.servers, data.servers.map(T.holds).join(" · "));
    }
    $("arms-box").hidden = !canary;
    if (canary) drawArms(data);
    $("gates").textContent = T.gates(data.gates);
    drawAudit(data.audit);
  }
  function drawArms(data) {
    var body = clear($("arms").tBodies[0]), byArm = {};
    data.arms.forEach(function (arm) { byArm[arm.arm] = arm; });
    T.arms.forEach(function (row) {
      var tr = el("tr");
      tr.append(el("th", { scope: "row" }, row[0]));
      ["live", "candidate"].forEach(function (name) { tr.append(el("td", { class: "num" }, byArm[name] ? row[1](byArm[name]) : F.NONE)); });
      body.append(tr);
    });
    var box = clear($("decision"));
    if (data.decision) {
      box.setAttribute("data-action", data.decision.action);
      box.append(el("p", { class: "decision-title" }, T.decision[data.decision.action]));
      var reasons = el("ul");
      data.decision.reasons.forEach(function (reason) { reasons.append(el("li", {}, reason)); });
      box.append(reasons, el("p", { class: "muted" }, T.decisionNote));
    }
    if (document.activeElement !== $("share-now")) $("share-now").value = String(Math.round(data.rollout.share * 100));
  }
  function drawAudit(lines) {
    var body = clear($("audit"));
    lines.forEach(function (line) {
      var tr = el("tr", { "data-action": line.action }), say = T.actions[line.action];
      tr.append(el("td", { class: "when" }, F.when(line.at)), el("td", {}, line.actor),
        el("td", {}, say ? say(line, line.details || {}) : line.action + (line.model_id ? " " + line.model_id : "")));
      body.append(tr);
    });
  }

  // -- actions ----------------------------------------------------------------------------------
  function act(path, body) {
    return ctx.api("POST", "/api/trainer/rollout/" + path, body).then(function (answer) { load(); return answer; });
  }
  $("share-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var percent = Number($("share-now").value);
    $("share-button").disabled = true;
    act("share", { share: percent / 100 }).then(function (answer) {
      ctx.notice(T.shareSet(answer.rollout.share));
    }).catch(ctx.failed(T.act)).then(function () { $("share-button").disabled = false; });
  });
  var dialog = $("decide-dialog");
  function openDecide(what) {
    deciding = what;
    $("decide-title").textContent = T.decide[what][0];
    $("decide-text").textContent = T.decide[what][1];
    $("decide-submit").textContent = T.decide[what][2];
    $("decide-submit").className = what === "rollback" ? "danger" : "";
    $("reason").value = "";
    $("decide-error").textContent = "";
    dialog.showModal();
    $("reason").focus();
  }
  $("promote").addEventListener("click", function () { openDecide("promote"); });
  $("rollback").addEventListener("click", function () { openDecide("rollback"); });
  $("decide-cancel").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("cancel", function (event) { if (sending) event.preventDefault(); });
  $("decide-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = $("reason").value.trim(), what = deciding;
    if (!what || sending) return;
    if (!reason) { $("decide-error").textContent = T.noReason; $("reason").focus(); return; }
    sending = true;
    $("decide-submit").disabled = $("decide-cancel").disabled = true;
    act(what, { reason: reason }).then(function () {
      ctx.notice(T.done[what]);
      deciding = null;
      dialog.close();
      $("rollout-title").focus();
    }).catch(function (error) {
      if (error.message !== "signed out") $("decide-error").textContent = error.message;
    }).then(function () {
      sending = false;
      $("decide-submit").disabled = $("decide-cancel").disabled = false;
    });
  });
  dialog.addEventListener("close", function () {
    if (deciding) $(deciding).focus();  // cancelled: back on the button that opened it
    deciding = null;
  });

  return { start: load, stop: stop, load: load, page: function () { return page; } };
};
