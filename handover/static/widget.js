/* Nimbus Telecom chat widget: one <script> tag, Rasa's socket.io protocol.
   <script src="http://127.0.0.1:8000/static/widget.js" data-server="http://127.0.0.1:8000"
           data-title="Nimbus Telecom" data-lang="en"
           data-privacy-url="https://www.example.com/privacy"
           data-customer-id="C-1234" data-customer-hash="(HMAC, see docs/handover.md)"></script>
   Every text is set with textContent: nothing the customer, the bot or an agent writes is HTML.
   The gateway issues the session id with a secret; both are kept in localStorage and sent with
   `session_request`, so only this browser can come back to its conversation. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var server = (tag && tag.dataset.server) || window.location.origin;
  var lang = (tag && tag.dataset.lang) === "fr" ? "fr" : "en";
  var STRINGS = {
    en: { open: "Chat with us", close: "Close chat", label: "Your message", send: "Send",
          bot: "Virtual assistant", you: "You", agent: "Agent", person: "{name} · Nimbus team", talkingTo: "You're talking to: {who}",
          queued: "You're number {p} in the queue, about {m} min.",
          assigned: "You're chatting with {name}.", offline: "Connection lost. Reconnecting… Messages you send will follow.",
          typing: "{who} is typing…", end: "End chat", closed: "This conversation has ended.",
          rate: "How satisfied are you with this chat?", thanks: "Thank you for your feedback.",
          scores: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
          newChat: "Start a new chat",
          notice: "You're chatting with a virtual assistant. A person from our team can take over on request.",
          privacy: "How we use your personal data",
          errors: { rate_limited: "You're sending messages too quickly. Please wait {s} s.",
                    busy: "Please wait for the answer to your previous messages.",
                    command_refused: "Messages can't start with “/”.",
                    other: "Your message could not be sent." } },
    fr: { open: "Discuter avec nous", close: "Fermer la discussion", label: "Votre message",
          send: "Envoyer", bot: "Assistant virtuel", you: "Vous", agent: "Conseiller", person: "{name} · équipe Nimbus",
          talkingTo: "Vous parlez à : {who}",
          queued: "Vous êtes numéro {p} dans la file, environ {m} min.",
          assigned: "Vous discutez avec {name}.", offline: "Connexion perdue. Reconnexion… Vos messages suivront.",
          typing: "{who} écrit…", end: "Terminer la discussion", closed: "Cette discussion est terminée.",
          rate: "Êtes-vous satisfait de cette discussion ?", thanks: "Merci pour votre avis.",
          scores: ["Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"],
          newChat: "Nouvelle discussion",
          notice: "Vous discutez avec un assistant virtuel. Une personne de notre équipe peut prendre le relais sur demande.",
          privacy: "Comment nous utilisons vos données personnelles",
          errors: { rate_limited: "Vous envoyez des messages trop vite. Merci de patienter {s} s.",
                    busy: "Merci d'attendre la réponse à vos messages précédents.",
                    command_refused: "Un message ne peut pas commencer par « / ».",
                    other: "Votre message n'a pas pu être envoyé." } }
  }[lang];
  var title = (tag && tag.dataset.title) || "Nimbus Telecom";
  var privacyUrl = (tag && tag.dataset.privacyUrl) || server + "/privacy?lang=" + lang;
  // The gateway's id and secret for this browser's conversation (none yet: the gateway makes them).
  var storeKey = "nimbus-chat-session";
  var secretKey = "nimbus-chat-secret";
  var sessionId = window.localStorage.getItem(storeKey);
  var sessionSecret = window.localStorage.getItem(secretKey);
  // The host site may vouch for its signed-in customer: HMAC-SHA256 of the id, made server-side.
  var customerId = tag && tag.dataset.customerId;
  var customerHash = tag && tag.dataset.customerHash;
  function sessionRequest(fields) {
    fields.language = lang;
    if (customerId && customerHash) { fields.customer_id = customerId; fields.customer_hash = customerHash; }
    return fields;
  }
  function remember(id, secret) {
    sessionId = id;
    sessionSecret = secret;
    window.localStorage.setItem(storeKey, id);
    window.localStorage.setItem(secretKey, secret);
  }

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
  var header = el("div", { class: "nimbus-chat-header" });
  var heading = el("h2", { class: "nimbus-chat-title" }, title);
  var who = el("p", { class: "nimbus-chat-who" }, fill(STRINGS.talkingTo, { who: STRINGS.bot }));
  var end = el("button", { type: "button", class: "nimbus-chat-end" }, STRINGS.end);
  header.append(heading, who, end);
  // Before the first message: who answers, and how personal data is used.
  var notice = el("p", { class: "nimbus-chat-notice" }, STRINGS.notice + " ");
  notice.appendChild(el("a", { href: privacyUrl, target: "_blank", rel: "noopener" }, STRINGS.privacy));
  var log = el("div", { role: "log", "aria-live": "polite", class: "nimbus-chat-log", tabindex: "0" });
  var typingLine = el("p", { class: "nimbus-chat-typing", "aria-hidden": "true" });
  var status = el("p", { class: "nimbus-chat-status", role: "status" });
  var form = el("form", { class: "nimbus-chat-form" });
  var label = el("label", { for: "nimbus-chat-input" }, STRINGS.label);
  var input = el("input", { id: "nimbus-chat-input", type: "text", autocomplete: "off", maxlength: "5000" });
  var send = el("button", { type: "submit" }, STRINGS.send);
  form.append(label, input, send);
  panel.append(header, notice, log, typingLine, status, form);
  root.append(panel, toggle);
  document.body.appendChild(root);
  document.head.appendChild(el("link", { rel: "stylesheet", href: server + "/static/widget.css" }));

  function setOpen(open) {
    if (open) { panel.removeAttribute("hidden"); input.focus(); } else { panel.setAttribute("hidden", ""); }
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? STRINGS.close : STRINGS.open;
  }
  toggle.addEventListener("click", function () { setOpen(panel.hasAttribute("hidden")); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); toggle.focus(); }
  });

  var agentName = null;
  var offered = null;  // the latest quick replies, kept when the log is rebuilt
  function show(sender, text, name, buttons) {
    if (buttons && buttons.length) offered = { text: text, buttons: buttons };
    var item = el("div", { class: "nimbus-msg nimbus-msg-" + sender });
    item.append(el("span", { class: "nimbus-msg-who" }, name), el("p", { class: "nimbus-msg-text" }, text));
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
    if (sender === "agent") return fill(STRINGS.person, { name: name || STRINGS.agent });
    if (sender === "system") return title;
    return STRINGS.bot;
  }

  var typingTimer;
  function showTyping(name) {
    typingLine.textContent = name ? fill(STRINGS.typing, { who: name }) : "";
    window.clearTimeout(typingTimer);
    if (name) typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, 30000);
  }

  var socket;
  var state = "bot";
  var joined = false;  // the gateway confirmed this connection's session
  // Messages the gateway has not acknowledged yet. They wait while the connection is down; after
  // the gateway confirms the session again, the log is rebuilt from the stored history and those
  // not stored yet are sent.
  var pending = [];
  function transmit(entry) {
    socket.emit("user_uttered", { message: entry.sent, session_id: sessionId }, function () {
      pending = pending.filter(function (other) { return other !== entry; });
    });
  }
  function say(message, shownText) {
    var entry = { text: shownText || message, sent: message };
    show("user", entry.text, STRINGS.you);
    pending.push(entry);
    if (joined) transmit(entry);
    if (state === "bot") showTyping(STRINGS.bot);
  }
  function rebuild(messages) {
    log.textContent = "";
    rating = null;
    messages.forEach(function (m, index) {
      var last = index === messages.length - 1 && offered && offered.text === m.text;
      show(m.sender, m.text, whoIs(m.sender, m.agent_name || m.agent), last ? offered.buttons : null);
    });
    // A pending message may already be stored, its acknowledgement still on the way.
    var stored = messages.filter(function (m) { return m.sender === "user"; }).map(function (m) { return m.text; });
    pending.forEach(function (entry) {
      var at = stored.lastIndexOf(entry.sent);
      if (at >= 0) { stored.splice(at, 1); } else { show("user", entry.text, STRINGS.you); transmit(entry); }
    });
  }
  var lastTyping = 0;
  input.addEventListener("input", function () {
    if (!socket || state !== "assigned" || Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    socket.emit("typing", { session_id: sessionId, typing: true });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || !socket) return;
    input.value = "";
    lastTyping = 0;
    say(text);
  });

  var rating = null;
  function askRating() {
    if (rating) return;
    rating = el("div", { class: "nimbus-rating", role: "group", "aria-labelledby": "nimbus-rating-q" });
    rating.appendChild(el("p", { id: "nimbus-rating-q" }, STRINGS.rate));
    STRINGS.scores.forEach(function (meaning, index) {
      var score = index + 1;
      var button = el("button", { type: "button", class: "nimbus-score", "aria-label": score + " – " + meaning, title: meaning }, String(score));
      button.addEventListener("click", function () {
        socket.emit("satisfaction", { session_id: sessionId, score: score });
      });
      rating.appendChild(button);
    });
    log.appendChild(rating);
    log.scrollTop = log.scrollHeight;
    rating.querySelector("button").focus();
  }
  function thank() {
    rating.textContent = "";
    rating.appendChild(el("p", {}, STRINGS.thanks));
    var again = el("button", { type: "button", class: "nimbus-new-chat" }, STRINGS.newChat);
    again.addEventListener("click", restart);
    rating.appendChild(again);
    again.focus();
  }
  function restart() {
    log.textContent = "";
    pending = [];
    rating = null;
    joined = false;
    setState("bot", null);
    socket.emit("session_request", sessionRequest({}));  // no id: the gateway starts a new one
    input.focus();
  }
  end.addEventListener("click", askRating);

  function setState(next, name) {
    state = next;
    agentName = next === "assigned" ? name || STRINGS.agent : null;
    who.textContent = fill(STRINGS.talkingTo, { who: agentName || STRINGS.bot });
  }

  function connect() {
    socket = window.io(server, { transports: ["websocket"] });
    socket.on("connect", function () {
      status.textContent = "";
      socket.emit("session_request", sessionRequest({ session_id: sessionId, session_secret: sessionSecret }));
    });
    socket.on("disconnect", function () { joined = false; status.textContent = STRINGS.offline; });
    socket.on("session_confirm", function (data) {
      if (data.session_id !== sessionId) { log.textContent = ""; rating = null; }  // a new conversation
      remember(data.session_id, data.session_secret);
      joined = true;
      socket.emit("history_request", { session_id: sessionId });
    });
    socket.on("error", function (data) {
      var errors = STRINGS.errors;
      var text = errors[data && data.code] || errors.other;
      status.textContent = fill(text, { s: (data && data.retry_after_seconds) || 1 });
      status.dataset.error = "1";
    });
    socket.on("history", function (data) {
      if (data.session_id === sessionId) rebuild(data.messages || []);
    });
    socket.on("bot_uttered", function (data) {
      var custom = data.custom || {};
      var sender = custom.sender === "agent" ? "agent" : custom.sender === "system" ? "system" : "bot";
      if (sender !== "system") showTyping(null);
      if (status.dataset.error) { status.textContent = ""; delete status.dataset.error; }
      if (data.text) show(sender, data.text, whoIs(sender, custom.agent_name), data.quick_replies || data.buttons);
    });
    socket.on("handover_status", function (data) {
      var wasWithAgent = state === "assigned";
      delete status.dataset.error;  // the line now tells the state, which stays
      setState(data.state, data.agent_name);
      if (data.state === "queued" && data.position) {
        status.textContent = fill(STRINGS.queued, { p: data.position, m: Math.max(1, Math.round((data.estimated_wait_seconds || 60) / 60)) });
      } else if (data.state === "assigned") {
        status.textContent = fill(STRINGS.assigned, { name: agentName });
      } else if (data.state === "closed") {
        status.textContent = STRINGS.closed;
        if (wasWithAgent) askRating();
      } else {
        status.textContent = "";
      }
    });
    socket.on("satisfaction_saved", thank);
    socket.on("typing", function (data) { showTyping(data.typing ? agentName || STRINGS.agent : null); });
  }

  if (window.io) { connect(); } else {
    var client = el("script", { src: server + "/vendor/socket.io.min.js" });
    client.onload = connect;
    document.head.appendChild(client);
  }
})();
