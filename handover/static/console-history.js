/* Past contacts: the customer's other conversations and their tickets, beside the open chat
   (GET /api/conversations/{id}/history). Text is set with textContent only. */
(function () {
  "use strict";
  var C = window.NimbusConsole;
  if (!C) return;
  var OUTCOMES = {
    resolved_by_bot: "Ended with the assistant", resolved_by_agent: "Closed by an agent",
    ended_by_customer: "Ended by the customer", abandoned: "Left the queue", ticket: "Ticket opened"
  };
  var REASONS = {
    customer_request: "Asked for a person", repeated_fallback: "Bot did not understand twice",
    out_of_scope: "Out of scope", failed_verification: "Verification failed",
    backend_failure: "Back-end failure", order_not_found: "Order not found",
    sensitive_topic: "Complaint / upset customer"
  };
  var WRAP_UPS = { resolved: "resolved", not_resolved: "not resolved", duplicate: "duplicate", spam: "spam" };
  var panel = document.getElementById("history-panel");
  // Each request has a number: only the latest one's answer is shown, and only while its chat
  // is still the one open (an answer that comes late belongs to a chat no longer on screen).
  var asked = 0;
  var shownFor = null;

  function day(iso) {
    return iso ? new Date(iso).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" }) : "";
  }
  function given(value) { return value !== null && value !== undefined && value !== ""; }

  function start(id) {
    C.clear(panel);
    panel.append(C.el("h3", { id: "history-title" }, "Past contacts"));
    shownFor = id;
  }
  function say(text, extra) {
    panel.append(C.el("p", { class: "muted history-note" + (extra ? " " + extra : "") }, text));
  }

  // One line per contact, the latest first: when it ended, how, who had it, their wrap-up
  // and the customer's rating; then why the customer came and the bot's summary.
  function conversationItem(c) {
    var li = C.el("li");
    c.contacts.slice().reverse().forEach(function (contact) {
      var parts = [day(contact.ended_at || c.last_at)];
      parts.push(contact.outcome ? (OUTCOMES[contact.outcome] || contact.outcome) : "Open now (" + c.state + ")");
      if (contact.agent) parts.push(contact.agent);
      if (contact.reason) parts.push(WRAP_UPS[contact.reason] || contact.reason);
      if (given(contact.satisfaction)) parts.push("rated " + contact.satisfaction + " / 5");
      li.append(C.el("div", { class: "meta" }, parts.join(" · ")));
    });
    var why = [c.reason ? (REASONS[c.reason] || c.reason) : "", c.summary || ""].filter(given);
    if (why.length) li.append(C.el("div", { class: "said" }, why.join(" — ")));
    return li;
  }
  function ticketItem(t, id) {
    var parts = [t.ticket_id, t.status || "status unknown"];
    var what = t.subject || (t.reason ? (REASONS[t.reason] || t.reason) : "");
    if (what) parts.push(what);
    parts.push(day(t.created_at));
    if (t.conversation_id === id) parts.push("this chat");
    return C.el("li", {}, parts.join(" · "));
  }

  function render(id, data) {
    start(id);
    if (data.crm === "not_verified") {
      say("Not verified: past contacts are shown once the customer is verified");
    } else {
      var list = C.el("ul", { class: "history-list", "aria-label": "Past conversations" });
      data.conversations.forEach(function (c) { list.append(conversationItem(c)); });
      if (data.conversations.length) panel.append(list);
      else say("No earlier conversations.");
    }
    if (data.crm === "not_verified" && !data.tickets.length) return;
    panel.append(C.el("h4", {}, "Tickets"));
    if (data.crm === "unavailable") say("CRM tickets unavailable right now", "history-warning");
    var tickets = C.el("ul", { class: "history-tickets", "aria-label": "Tickets" });
    data.tickets.forEach(function (t) { tickets.append(ticketItem(t, id)); });
    if (data.tickets.length) panel.append(tickets);
    else say("No tickets.");
  }

  C.plug({
    opened: function (id) {
      var mine = ++asked;
      // The same chat opened again keeps what it shows until the fresh answer replaces it.
      if (shownFor !== id) { start(id); say("Loading past contacts…"); }
      C.api("GET", "/api/conversations/" + encodeURIComponent(id) + "/history").then(function (data) {
        if (mine !== asked || C.active() !== id) return;
        render(id, data);
      }).catch(function (error) {
        if (mine !== asked || C.active() !== id || error.message === "signed out") return;
        start(id);
        say("Past contacts could not be loaded: " + error.message, "history-warning");
      });
    },
    closed: function () {
      asked += 1;
      shownFor = null;
      C.clear(panel);
    }
  });
})();
