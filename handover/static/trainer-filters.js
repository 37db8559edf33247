/* The trainer's inbox by reason and by predicted intent: the two filters (kept in the address
   with the others), each reason's count in its choice, each group's reasons as tags, and each
   text's reasons and predicted intent in its table. trainer.js asks for these (loaded first, as
   window.NimbusInboxFilters); the API's names are those of trainer/inbox_sources.py.
   Every text is set with textContent, never as HTML. Staff page: English only. */
(function () {
  "use strict";
  var session = window.NimbusAgent, el = session.el, clear = session.clear;
  var $ = function (id) { return document.getElementById(id); };
  var SOURCES = {
    fallback: "Not understood", low_confidence: "Low confidence", out_of_scope: "Out of scope",
    handover_after_miss: "Missed, then handed to a person", low_rating: "Rated 1–2",
    flagged: "Flagged by an agent"
  };
  var HELP = {
    fallback: "The assistant could not place the message and asked to rephrase.",
    low_confidence: "The assistant guessed its intent with little confidence.",
    out_of_scope: "The assistant answered that it cannot help with this.",
    handover_after_miss: "Missed before the customer was handed to a person.",
    low_rating: "Said to the assistant in a conversation the customer rated 1 or 2.",
    flagged: "An agent flagged it from the console."
  };
  var ALL_SOURCES = "All reasons", ALL_INTENTS = "All intents";
  var source = $("source"), intent = $("intent-filter");
  var saved = new URLSearchParams(window.location.search);

  function count(n) { return Number(n).toLocaleString("en"); }
  function option(value, text) { return el("option", { value: value }, text); }
  // The reasons' choices, with the period's counts once the inbox is in.
  function fillSources(counts) {
    var chosen = source.value;
    clear(source).append(option("", ALL_SOURCES));
    Object.keys(SOURCES).forEach(function (name) {
      source.append(option(name, SOURCES[name] + (counts ? " (" + count(counts[name] || 0) + ")" : "")));
    });
    source.value = chosen;
    if (source.selectedIndex < 0) source.value = "";
  }
  // The intents predicted in the period (the one chosen kept, even with no message now).
  function fillIntents(intents) {
    var chosen = intent.value;
    clear(intent).append(option("", ALL_INTENTS));
    var listed = intents.map(function (i) { return i.intent; });
    if (chosen && listed.indexOf(chosen) < 0) intent.append(option(chosen, chosen + " (0)"));
    intents.forEach(function (i) { intent.append(option(i.intent, i.intent + " (" + count(i.count) + ")")); });
    intent.value = chosen;
  }
  fillSources(null);
  source.value = SOURCES[saved.get("source")] ? saved.get("source") : "";
  var first = saved.get("intent");
  fillIntents(first ? [{ intent: first, count: 0 }] : []);
  intent.value = first || "";

  function confidence(value) { return value === null || value === undefined ? "" : " (" + Number(value).toFixed(2) + ")"; }
  function reasons(sources) {
    return Object.keys(SOURCES).filter(function (name) { return sources[name]; });
  }

  window.NimbusInboxFilters = {
    // `reload`: trainer.js's loadInbox, for a filter changed.
    init: function (reload) {
      [source, intent].forEach(function (select) { select.addEventListener("change", function () { reload(); }); });
    },
    addTo: function (params) {
      if (source.value) params.set("source", source.value);
      if (intent.value) params.set("intent", intent.value);
    },
    remember: function (kept) {
      kept.set("source", source.value);
      kept.set("intent", intent.value);
    },
    drawn: function (data) {
      fillSources(data.sources || {});
      fillIntents(data.intents || []);
    },
    // A group's reasons, each with its messages.
    tags: function (sources) {
      var list = el("ul", { class: "sources", "aria-label": "Why these messages are here" });
      reasons(sources).forEach(function (name) {
        list.append(el("li", { class: "source source-" + name, "data-source": name, title: HELP[name] },
          SOURCES[name] + " · " + count(sources[name])));
      });
      return list;
    },
    confidence: confidence,  // " (0.42)" after an intent, "" without one
    // The reasons of a list of names, in words (trainer-context.js's excerpts).
    names: function (names) {
      return Object.keys(SOURCES).filter(function (name) { return names.indexOf(name) >= 0; })
        .map(function (name) { return SOURCES[name]; }).join(", ");
    },
    columns: ["Why", "Predicted intent"],
    cells: function (text) {
      var why = reasons(text.sources).map(function (name) { return SOURCES[name]; }).join(", ");
      return [el("td", { class: "why" }, why),
        el("td", { class: "predicted" }, text.intent ? text.intent + confidence(text.confidence) : "–")];
    }
  };
})();
