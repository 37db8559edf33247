/* Nimbus Telecom chat widget: one <script> tag, Rasa's socket.io protocol.
   <script src="http://127.0.0.1:8000/static/widget.js" data-server="http://127.0.0.1:8000"
           data-title="Nimbus Telecom" data-lang="en"></script>
   Every text is set with textContent: nothing the customer, the bot or an agent writes is HTML. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var server = (tag && tag.dataset.server) || window.location.origin;
  var lang = (tag && tag.dataset.lang) === "fr" ? "fr" : "en";
  var STRINGS = {
    en: { open: "Chat with us", close: "Close chat", label: "Your message", send: "Send",
          bot: "Virtual assistant", you: "You", queued: "You're number {p} in the queue, about {m} min.",
          assigned: "You're chatting with {name}.", offline: "Reconnecting…", typing: "{who} is typing…" },
    fr: { open: "Discuter avec nous", close: "Fermer la discussion", label: "Votre message",
          send: "Envoyer", bot: "Assistant virtuel", you: "Vous",
          queued: "Vous êtes numéro {p} dans la file, environ {m} min.",
          assigned: "Vous discutez avec {name}.", offline: "Reconnexion…", typing: "{who} écrit…" }
  }[lang];
  var title = (tag && tag.dataset.title) || "Nimbus Telecom";
  var storeKey = "nimbus-chat-session";
  var sessionId = window.localStorage.getItem(storeKey) || ("web-" + Math.random().toString(36).slice(2, 12));
  window.localStorage.setItem(storeKey, sessionId);

  function el(name, attrs, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k]; });
  }

  var root = el("div", { class: "nimbus-chat", lang: lang });
  var toggle = el("button", { type: "button", class: "nimbus-chat-toggle", "aria-expanded": "false" }, STRINGS.open);
  var panel = el("section", { class: "nimbus-chat-panel", "aria-label": title, hidden: "" });
  var header = el("h2", { class: "nimbus-chat-title" }, title);
  var log = el("div", { role: "log", "aria-live": "polite", class: "nimbus-chat-log", tabindex: "0" });
  var status = el("p", { class: "nimbus-chat-status", role: "status" });
  var form = el("form", { class: "nimbus-chat-form" });
  var label = el("label", { for: "nimbus-chat-input" }, STRINGS.label);
  var input = el("input", { id: "nimbus-chat-input", type: "text", autocomplete: "off", maxlength: "5000" });
  var send = el("button", { type: "submit" }, STRINGS.send);
  form.append(label, input, send);
  panel.append(header, log, status, form);
  root.append(panel, toggle);
  document.body.appendChild(root);
  var link = el("link", { rel: "stylesheet", href: server + "/static/widget.css" });
  document.head.appendChild(link);

  toggle.addEventListener("click", function () {
    var open = panel.hasAttribute("hidden");
    if (open) { panel.removeAttribute("hidden"); input.focus(); } else { panel.setAttribute("hidden", ""); }
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? STRINGS.close : STRINGS.open;
  });

  function show(sender, text, who, buttons) {
    var item = el("div", { class: "nimbus-msg nimbus-msg-" + sender });
    item.append(el("span", { class: "nimbus-msg-who" }, who), el("p", { class: "nimbus-msg-text" }, text));
    (buttons || []).forEach(function (b) {
      var button = el("button", { type: "button", class: "nimbus-quick-reply" }, b.title);
      button.addEventListener("click", function () { say(b.payload, b.title); });
      item.appendChild(button);
    });
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }
  function whoIs(sender, name) {
    if (sender === "user") return STRINGS.you;
    if (sender === "agent") return name || "Agent";
    return STRINGS.bot;
  }

  var socket;
  function say(message, shown) {
    show("user", shown || message, STRINGS.you);
    socket.emit("user_uttered", { message: message, session_id: sessionId });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !socket) return;
    input.value = "";
    say(text);
  });

  function connect() {
    socket = window.io(server, { transports: ["websocket"] });
    socket.on("connect", function () {
      status.textContent = "";
      socket.emit("session_request", { session_id: sessionId });
    });
    socket.on("disconnect", function () { status.textContent = STRINGS.offline; });
    socket.on("session_confirm", function () {
      if (!log.childElementCount) socket.emit("history_request", { session_id: sessionId });
    });
    socket.on("history", function (data) {
      (data.messages || []).forEach(function (m) { show(m.sender, m.text, whoIs(m.sender, m.agent)); });
    });
    socket.on("bot_uttered", function (data) {
      var custom = data.custom || {};
      var sender = custom.sender === "agent" ? "agent" : custom.sender === "system" ? "system" : "bot";
      if (data.text) show(sender, data.text, whoIs(sender, custom.agent_name), data.quick_replies || data.buttons);
    });
    socket.on("handover_status", function (data) {
      if (data.state === "queued" && data.position) {
        status.textContent = fill(STRINGS.queued, { p: data.position, m: Math.max(1, Math.round((data.estimated_wait_seconds || 60) / 60)) });
      } else if (data.state === "assigned") {
        status.textContent = fill(STRINGS.assigned, { name: data.agent_name || "Agent" });
      } else {
        status.textContent = "";
      }
    });
    socket.on("typing", function (data) {
      status.textContent = data.typing ? fill(STRINGS.typing, { who: "Agent" }) : "";
    });
  }

  if (window.io) { connect(); } else {
    var client = el("script", { src: server + "/vendor/socket.io.min.js" });
    client.onload = connect;
    document.head.appendChild(client);
  }
})();
