/* "Flag for the trainer" on each of the customer's messages in the open chat: a message the bot
   got wrong joins the bot trainer's inbox (PUT, DELETE /api/conversations/{id}/messages/{n}/flag;
   the chat's flags from GET /api/conversations/{id}/flags when it opens). Each button is a
   toggle (aria-pressed), described by the message it flags. Text is set with textContent only. */
(function () {
  "use strict";
  var C = window.NimbusConsole;
  var log = document.getElementById("transcript");
  if (!C || !log) return;
  var LABEL = "Flag for the trainer";
  // The chat whose flags are known: its id, the flagged message ids, whether they are in yet.
  var shown = { id: null, flagged: {}, loaded: false };
  var asked = 0;  // only the latest request's answer counts

  function path(id, rest) { return "/api/conversations/" + encodeURIComponent(id) + rest; }
  function forChat(id) {
    if (shown.id !== id) shown = { id: id, flagged: {}, loaded: false };
    return shown;
  }

  function button(item, messageId) {
    var found = item.querySelector("button.flag");
    if (found) return found;
    var text = item.querySelector("p");
    if (text && !text.id) text.id = "msg-text-" + messageId;
    var made = C.el("button", { type: "button", class: "flag", "data-message-id": messageId,
                                "aria-describedby": text ? text.id : "" }, LABEL);
    item.append(made);
    return made;
  }
  function draw() {
    var id = C.active();
    if (!id) return;
    var known = forChat(id);
    Array.prototype.forEach.call(log.querySelectorAll(".msg-user[data-message-id]"), function (item) {
      var messageId = item.getAttribute("data-message-id");
      var control = button(item, messageId), on = !!known.flagged[messageId];
      control.setAttribute("aria-pressed", on ? "true" : "false");
      control.title = on ? "Flagged for the bot trainer: press to take the flag off" : "Send this message to the bot trainer's inbox";
      control.disabled = !known.loaded;
      item.classList.toggle("flagged", on);
    });
  }

  log.addEventListener("click", function (event) {
    var control = event.target.closest("button.flag");
    var id = C.active();
    if (!control || !id || shown.id !== id || !shown.loaded) return;
    var messageId = control.getAttribute("data-message-id"), on = !!shown.flagged[messageId];
    control.disabled = true;
    C.api(on ? "DELETE" : "PUT", path(id, "/messages/" + encodeURIComponent(messageId) + "/flag")).then(function (answer) {
      if (shown.id !== id) return;
      if (answer.flagged) shown.flagged[messageId] = true; else delete shown.flagged[messageId];
      if (C.active() === id) {
        draw();
        C.notice(answer.flagged ? "Flagged for the bot trainer." : "Flag taken off.");
      }
    }).catch(function (error) {
      if (C.active() === id) draw();
      C.failed(error);
    });
  });

  C.plug({
    transcript: draw,  // drawn again: each customer message gets its button back
    opened: function (id) {
      var mine = ++asked;
      forChat(id);
      C.api("GET", path(id, "/flags")).then(function (data) {
        if (mine !== asked || shown.id !== id) return;
        data.flags.forEach(function (flag) { shown.flagged[String(flag.message_id)] = true; });
        shown.loaded = true;
        if (C.active() === id) draw();
      }).catch(function (error) {
        if (mine === asked && C.active() === id && error.message !== "signed out") C.notice("Flags could not be loaded: " + error.message);
      });
    },
    closed: function () {
      asked += 1;
      shown = { id: null, flagged: {}, loaded: false };
    }
  });
})();
