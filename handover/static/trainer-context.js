/* The conversations around a text of the trainer's inbox (GET /api/trainer/inbox/conversations):
   a "Show" button in each text's row opens a dialog with the newest conversations it was said
   in, the lines before and after it, the text itself marked. A message is labelled right only
   in its conversation, and what an agent then did says what the bot should have understood.
   trainer.js asks for these (loaded first, as window.NimbusInboxContext). Every text is set with
   textContent, never as HTML: the lines are customers' and agents' (redacted). Staff page:
   English only. */
(function () {
  "use strict";
  var session = window.NimbusAgent, api = session.api, el = session.el, clear = session.clear;
  var F = window.NimbusInboxFilters;
  var $ = function (id) { return document.getElementById(id); };
  var SHOWN = 5;  // conversations asked for, newest first (the API's limit is 10)
  var ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var T = {
    column: "Conversations", show: "Show", showFor: function (text) { return "Show the conversations of “" + text + "”"; },
    title: "Conversations around this text",
    loading: "Loading the conversations…",
    summary: function (messages, conversations, shown) {
      return count(messages) + plural(messages, " message") + " in " + count(conversations) + plural(conversations, " conversation") +
        (shown < conversations ? "; the " + count(shown) + " most recent are shown." : ".");
    },
    none: "No conversation of this period has this text any more (the filters apply).",
    failed: function (why) { return "Could not load the conversations: " + why + "."; },
    speaker: { customer: "Customer", bot: "Bot", agent: "Agent", system: "Notice" },
    asked: "In the inbox",
    earlier: "Earlier lines not shown.", later: "Later lines not shown.",
    gone: "The conversation is no longer kept (erased at the customer's request, or past the retention period).",
    fromRasa: "Through Rasa's REST channel: the customer's and the bot's lines only.",
    language: { en: "English", fr: "French", "": "Language unknown" }
  };
  var MOMENT = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: ZONE });
  var CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
  var dialog = $("context-dialog"), opener = null, generation = 0, filters = null;

  function count(n) { return Number(n).toLocaleString("en"); }
  function plural(n, word) { return n === 1 ? word : word + "s"; }

  function open(button) {
    var key = button.getAttribute("data-key"), language = button.getAttribute("data-language");
    var asked = filters();
    ["state", "limit", "intent"].forEach(function (name) { asked.delete(name); });  // the inbox's own
    asked.set("key", key);
    asked.set("text_language", language);
    asked.set("limit", String(SHOWN));
    opener = button;
    var mine = ++generation;
    $("context-text").textContent = "“" + button.getAttribute("data-text") + "”";
    $("context-summary").textContent = T.loading;
    clear($("context-list"));
    dialog.setAttribute("aria-busy", "true");
    dialog.showModal();
    $("context-title").focus();
    api("GET", "/api/trainer/inbox/conversations?" + asked.toString()).then(function (data) {
      if (mine !== generation) return;
      $("context-summary").textContent = data.excerpts.length ? T.summary(data.messages, data.conversations, data.excerpts.length) : T.none;
      data.excerpts.forEach(function (excerpt, i) { $("context-list").append(drawn(excerpt, i)); });
    }).catch(function (error) {
      if (mine !== generation) return;
      if (error.message === "signed out") { dialog.close(); return; }
      $("context-summary").textContent = T.failed(error.message);
    }).then(function () { if (mine === generation) dialog.removeAttribute("aria-busy"); });
  }
  function drawn(excerpt, i) {
    var id = "excerpt-" + i, part = el("section", { class: "excerpt", "aria-labelledby": id });
    var why = F.names(excerpt.sources);
    part.append(el("h3", { id: id }, [MOMENT.format(new Date(excerpt.at)), T.language[excerpt.language] || excerpt.language, why].join(" · ")));
    if (excerpt.origin === "none") { part.append(el("p", { class: "muted" }, T.gone)); return part; }
    if (excerpt.origin === "rasa") part.append(el("p", { class: "muted" }, T.fromRasa));
    if (excerpt.earlier) part.append(el("p", { class: "muted more" }, T.earlier));
    var list = el("ol", { class: "transcript" }, null);
    if (T.language[excerpt.language] && excerpt.language) list.setAttribute("lang", excerpt.language);
    excerpt.lines.forEach(function (line) {
      var item = el("li", { class: "line " + line.speaker + (line.inbox ? " asked" : ""), "data-speaker": line.speaker });
      var who = el("span", { class: "who", lang: "en" }, T.speaker[line.speaker] || line.speaker);
      item.append(who, el("time", { datetime: line.at, class: "muted", lang: "en" }, CLOCK.format(new Date(line.at))));
      if (line.inbox) item.append(el("strong", { class: "tag", lang: "en" }, T.asked));
      item.append(el("p", { class: "said" }, line.text));
      if (line.speaker === "customer" && line.intent) item.append(el("p", { class: "nlu muted", lang: "en" }, line.intent + F.confidence(line.confidence)));
      list.append(item);
    });
    part.append(list);
    if (excerpt.later) part.append(el("p", { class: "muted more" }, T.later));
    return part;
  }
  $("context-close").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () {
    generation += 1;  // an answer still on its way is dropped
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });

  window.NimbusInboxContext = {
    // `asked`: trainer.js's filters of the inbox shown, as URLSearchParams.
    init: function (asked) {
      filters = asked;
      $("groups").addEventListener("click", function (event) {
        var button = event.target.closest("button[data-context]");
        if (button) open(button);
      });
    },
    column: T.column,
    cell: function (text) {
      var cell = el("td", { class: "context" });
      cell.append(el("button", { type: "button", class: "secondary small", "data-context": "", "data-key": text.key,
        "data-language": text.language, "data-text": text.text, "aria-haspopup": "dialog", "aria-label": T.showFor(text.text) }, T.show));
      return cell;
    },
    // Signed out: nothing of a customer's stays on the screen.
    close: function () { if (dialog.open) dialog.close(); }
  };
})();
