/* Labels and private notes on the open chat, in the context panel. Both are for agents only: the
   gateway never sends them to the customer. Text is always set with textContent. */
(function () {
  "use strict";
  var C = window.NimbusConsole;
  var panel = document.getElementById("notes-panel");
  if (!C || !panel) return;
  var LABEL = /^[a-z0-9][a-z0-9-]{0,31}$/;
  var MAX_LABELS = 10;
  var el = C.el;
  var shown = null;  // {id, labels} of the chat whose notes are on screen

  // -- the panel, built once: the chat's notes and labels fill it in ----------------------------
  var chips = el("ul", { class: "label-chips", "aria-label": "Labels of this chat" });
  var labelBox = el("input", { id: "label-new", list: "label-suggestions", maxlength: "40",
                               autocomplete: "off", "aria-describedby": "notes-private" });
  var suggestions = el("datalist", { id: "label-suggestions" });
  var labelForm = el("form", { class: "label-form" });
  labelForm.append(el("label", { for: "label-new" }, "Add label"), labelBox, suggestions,
                   el("button", { type: "submit", class: "secondary" }, "Add"));
  var noteBox = el("textarea", { id: "note-new", rows: "2", maxlength: "1000",
                                 "aria-describedby": "notes-private" });
  var noteButton = el("button", { type: "submit" }, "Add note");
  var noteForm = el("form", { class: "note-form" });
  noteForm.append(el("label", { for: "note-new" }, "Private note"), noteBox, noteButton);
  var problem = el("p", { class: "error", role: "alert" });
  var list = el("ul", { class: "notes-list", "aria-label": "Notes on this chat" });
  var none = el("p", { class: "muted" }, "No notes yet.");
  panel.append(
    el("h3", { id: "notes-title" }, "Notes and labels"),
    el("p", { id: "notes-private", class: "muted" }, "Private to agents: never shown to the customer."),
    chips, labelForm, noteForm, problem, list, none
  );

  function path(id, what) { return "/api/conversations/" + encodeURIComponent(id) + "/" + what; }
  // Whether an answer about chat `id` still belongs on screen (it may have been closed or
  // another chat opened while the request was on its way).
  function current(id) { return shown !== null && shown.id === id && C.active() === id; }
  function refused(id, prefix) {
    return function (error) {
      if (error.message !== "signed out" && current(id)) problem.textContent = prefix + error.message + ".";
    };
  }

  function renderLabels() {
    C.clear(chips);
    shown.labels.forEach(function (label) {
      var chip = el("li", { class: "label-chip" });
      var remove = el("button", { type: "button", "aria-label": "Remove label " + label, title: "Remove" }, "×");
      remove.addEventListener("click", function () {
        saveLabels(shown.labels.filter(function (kept) { return kept !== label; }));
      });
      chip.append(el("span", {}, label), remove);
      chips.append(chip);
    });
    chips.hidden = shown.labels.length === 0;
  }
  function when(stamp) {
    var at = new Date(stamp);
    var time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return at.toDateString() === new Date().toDateString() ? time : at.toLocaleDateString() + " " + time;
  }
  function renderNote(note) {
    var me = C.me();
    var who = me && note.agent === me.username ? "You" : note.agent;
    var item = el("li");
    item.append(el("span", { class: "who" }, who + " · " + when(note.created_at)), el("p", {}, note.text));
    list.prepend(item);  // the latest first, next to the box it was written in
    none.hidden = true;
  }
  function loadSuggestions() {
    C.api("GET", "/api/labels").then(function (data) {
      C.clear(suggestions);
      data.labels.forEach(function (used) { suggestions.append(el("option", { value: used.label })); });
    }).catch(function () { /* suggestions only: typing a label still works */ });
  }

  function saveLabels(labels) {
    var id = shown && shown.id;
    if (!id) return;
    problem.textContent = "";
    C.api("PUT", path(id, "labels"), { labels: labels }).then(function (saved) {
      if (!current(id)) return;
      shown.labels = saved.labels;
      renderLabels();
      loadSuggestions();
    }).catch(refused(id, "Labels not saved: "));
  }
  labelForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!shown) return;
    // "Billing dispute" becomes "billing-dispute": the form agents would type anyway.
    var label = labelBox.value.trim().toLowerCase().replace(/[\s_]+/g, "-");
    if (!label) return;
    if (!LABEL.test(label)) {
      problem.textContent = "A label is 1–32 lowercase letters, digits or hyphens, not starting with a hyphen.";
      return;
    }
    labelBox.value = "";
    if (shown.labels.indexOf(label) >= 0) return;
    if (shown.labels.length >= MAX_LABELS) {
      problem.textContent = "At most " + MAX_LABELS + " labels: remove one first.";
      return;
    }
    saveLabels(shown.labels.concat([label]));
  });

  noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var id = shown && shown.id;
    var text = noteBox.value.trim();
    if (!id || !text) return;
    problem.textContent = "";
    noteButton.disabled = true;
    C.api("POST", path(id, "notes"), { text: text }).then(function (note) {
      if (!current(id)) return;
      noteBox.value = "";
      renderNote(note);
    }).catch(refused(id, "Note not saved: ")).then(function () { noteButton.disabled = false; });
  });

  function forget() {
    shown = null;
    C.clear(chips); C.clear(list);
    chips.hidden = true; none.hidden = false;
    // A draft belongs to its chat: it must not be saved on the next one by mistake.
    noteBox.value = ""; labelBox.value = ""; problem.textContent = ""; noteButton.disabled = false;
  }

  C.plug({
    opened: function (id) {
      // The same chat shown again (its packet refreshed) keeps the note being written.
      var draft = shown && shown.id === id ? noteBox.value : "";
      forget();
      noteBox.value = draft;
      shown = { id: id, labels: [] };
      C.api("GET", path(id, "notes")).then(function (data) {
        if (!current(id)) return;
        shown.labels = data.labels;
        renderLabels();
        data.notes.forEach(renderNote);
      }).catch(refused(id, "Could not load the notes: "));
      loadSuggestions();
    },
    closed: forget
  });
  forget();
})();
