/* Nimbus Telecom chat widget: one <script> tag, Rasa's socket.io protocol.
   <script src="http://127.0.0.1:8000/static/widget.js" data-server="http://127.0.0.1:8000"
           data-title="Nimbus Telecom" data-lang="en"
           data-privacy-url="https://www.example.com/privacy"
           data-customer-id="C-1234" data-customer-hash="(HMAC, see docs/handover.md)"></script>
   Every text is set with textContent: nothing the customer, the bot or an agent writes is HTML.
   Only http(s) addresses in a message become links, built node by node (see `linked`).
   The gateway issues the session id with a secret; both are kept in localStorage and sent with
   `session_request`, so only this browser can come back to its conversation. Whether the panel
   is open is kept in sessionStorage: a reload keeps it, a new tab starts closed. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var server = (tag && tag.dataset.server) || window.location.origin;
  var lang = (tag && tag.dataset.lang) === "fr" ? "fr" : "en";
  // Counts take the language's plural rules ({one, other}; French "one" is 0 and 1 too).
  var STRINGS = {
    en: { open: "Chat with us", close: "Close chat", label: "Your message", send: "Send",
          placeholder: "Type your message…",
          bot: "Virtual assistant", you: "You", agent: "Agent", person: "{name} · Nimbus team", talkingTo: "You're talking to: {who}",
          someone: "a member of our team", waiting: "Waiting for a person",
          greeting: "Hello, I'm the Nimbus virtual assistant. What can I help you with? Choose a topic or type your question.",
          topics: ["Check my bill", "Track an order", "Reset my password", "No internet or mobile signal"],
          topicsLabel: "Suggested topics",
          queued: "You're number {p} in the queue. Expected wait: about {wait}.",
          inQueue: "You're in the queue for a member of our team.",
          minutes: { one: "{n} minute", other: "{n} minutes" },
          seconds: { one: "{n} second", other: "{n} seconds" },
          assigned: "You're chatting with {name}.", offline: "Connection lost. Reconnecting… Your messages will be sent as soon as you're back online.",
          typing: "{who} is typing…", end: "End chat", closed: "This conversation has ended.",
          ended: "Conversation ended", confirmEnd: "End this conversation?",
          confirmYes: "Yes, end it", confirmNo: "No, keep chatting",
          rate: "How satisfied are you with this chat?", thanks: "Thank you for your feedback.",
          scores: ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
          newChat: "Start a new chat",
          notice: "Answers come from our virtual assistant; a person from our team can take over whenever you ask.",
          privacy: "How we use your personal data",
          unsent: "Not sent yet",
          errors: { rate_limited: "You're sending messages too quickly. Please wait {wait}.",
                    busy: "Please wait for the answer to your previous messages.",
                    bot_busy: "Our assistant is very busy right now. Your message will be sent again in {wait}.",
                    command_refused: "Messages can't start with “/”.",
                    not_allowed: "This conversation has already ended.",
                    conflict: "The conversation changed at that very moment. Please try again.",
                    other: "Your message could not be sent." } },
    fr: { open: "Discuter avec nous", close: "Fermer la discussion", label: "Votre message",
          send: "Envoyer", placeholder: "Écrivez votre message…",
          bot: "Assistant virtuel", you: "Vous", agent: "Conseiller", person: "{name} · équipe Nimbus",
          talkingTo: "Vous parlez à : {who}",
          someone: "un membre de notre équipe", waiting: "En attente d'un conseiller",
          greeting: "Bonjour, je suis l'assistant virtuel de Nimbus. Que puis-je faire pour vous ? Choisissez un sujet ou posez votre question.",
          topics: ["Consulter ma facture", "Suivre une commande", "Réinitialiser mon mot de passe", "Plus d'internet ou de réseau mobile"],
          topicsLabel: "Sujets suggérés",
          queued: "Vous êtes numéro {p} dans la file. Attente estimée : environ {wait}.",
          inQueue: "Vous êtes dans la file d'attente pour parler à un membre de notre équipe.",
          minutes: { one: "{n} minute", other: "{n} minutes" },
          seconds: { one: "{n} seconde", other: "{n} secondes" },
          assigned: "Vous discutez avec {name}.", offline: "Connexion perdue. Reconnexion… Vos messages partiront dès le retour de la connexion.",
          typing: "{who} écrit…", end: "Terminer la discussion", closed: "Cette discussion est terminée.",
          ended: "Conversation terminée", confirmEnd: "Mettre fin à cette discussion ?",
          confirmYes: "Oui, y mettre fin", confirmNo: "Non, continuer",
          rate: "Êtes-vous satisfait de cette discussion ?", thanks: "Merci pour votre avis.",
          scores: ["Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"],
          newChat: "Nouvelle discussion",
          notice: "Notre assistant virtuel vous répond ; une personne de notre équipe peut prendre le relais dès que vous le demandez.",
          privacy: "Comment nous utilisons vos données personnelles",
          unsent: "Pas encore envoyé",
          errors: { rate_limited: "Vous envoyez des messages trop vite. Merci de patienter {wait}.",
                    busy: "Merci d'attendre la réponse à vos messages précédents.",
                    bot_busy: "Notre assistant est très sollicité en ce moment. Votre message sera renvoyé dans {wait}.",
                    command_refused: "Un message ne peut pas commencer par « / ».",
                    not_allowed: "Cette discussion est déjà terminée.",
                    conflict: "La discussion a changé au même moment. Merci de réessayer.",
                    other: "Votre message n'a pas pu être envoyé." } }
  }[lang];
  var title = (tag && tag.dataset.title) || "Nimbus Telecom";
  var privacyUrl = (tag && tag.dataset.privacyUrl) || server + "/privacy?lang=" + lang;
  // The gateway's id and secret for this browser's conversation (none yet: the gateway makes them).
  var storeKey = "nimbus-chat-session";
  var secretKey = "nimbus-chat-secret";
  var openKey = "nimbus-chat-open";
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
  // Some browsers refuse storage to embedded pages: the panel then simply starts closed.
  function wasOpen() {
    try { return window.sessionStorage.getItem(openKey) === "1"; } catch (e) { return false; }
  }
  function keepOpen(open) {
    try { window.sessionStorage.setItem(openKey, open ? "1" : "0"); } catch (e) { /* not kept */ }
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
  var plurals = new Intl.PluralRules(lang);
  function count(forms, n) {
    return fill(forms[plurals.select(n)] || forms.other, { n: n.toLocaleString(lang) });
  }

  // http(s) addresses, up to a space, a quote or an angle bracket; trailing punctuation that
  // ends the sentence is not part of them ("see https://example.com/plans.").
  var ADDRESS = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  function trimmed(address) {
    for (;;) {
      var last = address.charAt(address.length - 1);
      var unbalanced = last === ")" && address.split("(").length < address.split(")").length;
      if (!(/[.,;:!?'"»\]}]/.test(last) || unbalanced)) return address;
      address = address.slice(0, -1);
    }
  }
  function safeHref(address) {
    var url;
    try { url = new URL(address); } catch (e) { return null; }
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname ? url.href : null;
  }
  // The text as text nodes, with each http(s) address as an anchor: no other scheme, no HTML.
  function linked(text) {
    var fragment = document.createDocumentFragment();
    var at = 0;
    var match;
    ADDRESS.lastIndex = 0;
    while ((match = ADDRESS.exec(text)) !== null) {
      var address = trimmed(match[0]);
      var href = safeHref(address);
      if (!href) continue;
      fragment.appendChild(document.createTextNode(text.slice(at, match.index)));
      fragment.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, address));
      at = match.index + address.length;
    }
    fragment.appendChild(document.createTextNode(text.slice(at)));
    return fragment;
  }

  var root = el("div", { class: "nimbus-chat", lang: lang });
  var toggle = el("button", { type: "button", class: "nimbus-chat-toggle", "aria-expanded": "false" }, STRINGS.open);
  var panel = el("section", { class: "nimbus-chat-panel", "aria-label": title, hidden: "" });
  var header = el("div", { class: "nimbus-chat-header" });
  var heading = el("h2", { class: "nimbus-chat-title" }, title);
  var who = el("p", { class: "nimbus-chat-who" }, fill(STRINGS.talkingTo, { who: STRINGS.bot }));
  var end = el("button", { type: "button", class: "nimbus-chat-end" }, STRINGS.end);
  header.append(heading, who, end);
  // "End chat" asks first: ending closes the chat for the agent too.
  var confirmBox = el("div", { class: "nimbus-chat-confirm", role: "group", "aria-labelledby": "nimbus-confirm-q", hidden: "" });
  var confirmYes = el("button", { type: "button", class: "nimbus-confirm-yes" }, STRINGS.confirmYes);
  var confirmNo = el("button", { type: "button", class: "nimbus-confirm-no" }, STRINGS.confirmNo);
  confirmBox.append(el("p", { id: "nimbus-confirm-q" }, STRINGS.confirmEnd), confirmYes, confirmNo);
  // Always there: who answers, and how personal data is used.
  var notice = el("p", { class: "nimbus-chat-notice" }, STRINGS.notice + " ");
  notice.appendChild(el("a", { href: privacyUrl, target: "_blank", rel: "noopener noreferrer" }, STRINGS.privacy));
  var log = el("div", { role: "log", "aria-live": "polite", class: "nimbus-chat-log", tabindex: "0" });
  var typingLine = el("p", { class: "nimbus-chat-typing", "aria-hidden": "true" });
  var status = el("p", { class: "nimbus-chat-status", role: "status" });
  var form = el("form", { class: "nimbus-chat-form" });
  var label = el("label", { for: "nimbus-chat-input" }, STRINGS.label);
  var input = el("input", { id: "nimbus-chat-input", type: "text", autocomplete: "off", maxlength: "5000", placeholder: STRINGS.placeholder });
  var send = el("button", { type: "submit" }, STRINGS.send);
  form.append(label, input, send);
  panel.append(header, confirmBox, notice, log, typingLine, status, form);
  root.append(panel, toggle);
  document.body.appendChild(root);
  document.head.appendChild(el("link", { rel: "stylesheet", href: server + "/static/widget.css" }));

  function toNewest() { log.scrollTop = log.scrollHeight; }
  function setOpen(open, focus) {
    if (open) { panel.removeAttribute("hidden"); toNewest(); if (focus) input.focus(); } else { panel.setAttribute("hidden", ""); }
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? STRINGS.close : STRINGS.open;
    keepOpen(open);
  }
  toggle.addEventListener("click", function () { setOpen(panel.hasAttribute("hidden"), true); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); toggle.focus(); }
  });

  var agentName = null;
  var offered = null;  // the latest quick replies, kept when the log is rebuilt
  function replies(buttons, onPress) {
    var row = el("div", { class: "nimbus-quick-replies" });
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", class: "nimbus-quick-reply" }, b.title);
      button.addEventListener("click", function () { onPress(b); });
      row.appendChild(button);
    });
    return row;
  }
  function show(sender, text, name, buttons) {
    if (buttons && buttons.length) offered = { text: text, buttons: buttons };
    var item = el("div", { class: "nimbus-msg nimbus-msg-" + sender });
    var body = el("p", { class: "nimbus-msg-text" });
    body.appendChild(linked(text));
    item.append(el("span", { class: "nimbus-msg-who" }, name), body);
    if (buttons && buttons.length) item.appendChild(replies(buttons, function (b) { say(b.payload, b.title); }));
    log.appendChild(item);
    if (rating && !rated) log.appendChild(rating);  // the question stays last, below the close
    toNewest();
    return item;
  }
  function whoIs(sender, name) {
    if (sender === "user") return STRINGS.you;
    if (sender === "agent") return fill(STRINGS.person, { name: name || STRINGS.agent });
    if (sender === "system") return title;
    return STRINGS.bot;
  }

  // The widget's own welcome, never stored: on a new conversation, with topics the customer can
  // press; a topic is sent as the words it shows (the gateway refuses "/intent" commands it did
  // not offer). Kept while this page lives, not shown again after a reload.
  var greetedSession = null;
  var topics = null;
  function greet(withTopics) {
    greetedSession = sessionId;
    var item = el("div", { class: "nimbus-greeting" });
    item.append(el("span", { class: "nimbus-msg-who" }, STRINGS.bot), el("p", { class: "nimbus-greeting-text" }, STRINGS.greeting));
    if (withTopics) {
      topics = replies(STRINGS.topics.map(function (t) { return { title: t }; }), function (b) { say(b.title); });
      topics.setAttribute("role", "group");
      topics.setAttribute("aria-label", STRINGS.topicsLabel);
      item.appendChild(topics);
    }
    log.appendChild(item);
  }
  function dropTopics() {
    if (topics) { topics.remove(); topics = null; }
  }

  var typingTimer;
  function showTyping(name) {
    typingLine.textContent = name ? fill(STRINGS.typing, { who: name }) : "";
    window.clearTimeout(typingTimer);
    if (name) typingTimer = window.setTimeout(function () { typingLine.textContent = ""; }, 30000);
  }

  var socket;
  var state = "bot";
  var settled = false;  // a status has said where the conversation stands
  var joined = false;  // the gateway confirmed this connection's session
  // Messages the gateway has not acknowledged yet, each with an id made here: sent again with
  // the same id, a message the gateway stored already is acknowledged as a duplicate, never
  // stored or answered twice. They wait while the connection is down, and are kept in
  // localStorage through a reload; once the gateway confirms the session again, the log is
  // rebuilt from the stored history and those it does not hold are sent again.
  var pendingKey = "nimbus-chat-pending";
  var pending = loadPending();
  function loadPending() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(pendingKey) || "[]");
      return Array.isArray(kept) ? kept.filter(function (e) { return e && typeof e.id === "string" && typeof e.sent === "string"; })
        .map(function (e) { return { id: e.id, sent: e.sent, text: typeof e.text === "string" ? e.text : e.sent }; }) : [];
    } catch (e) { return []; }
  }
  function keepPending(entries) {
    pending = entries;
    var kept = entries.map(function (e) { return { id: e.id, sent: e.sent, text: e.text }; });
    try { window.localStorage.setItem(pendingKey, JSON.stringify(kept)); } catch (e) { /* kept in memory only */ }
  }
  function newId() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));  // pages served over http
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  // Refusals that mean "later" (nothing was stored): the message stays pending, marked as not
  // sent, and goes again after the wait the gateway gives, stretched by up to half at random so
  // that customers refused together do not all come back together. Other refusals are final.
  var LATER = { bot_busy: true, busy: true, rate_limited: true };
  function transmit(entry) {
    window.clearTimeout(entry.timer);
    var message = { message: entry.sent, message_id: entry.id, session_id: sessionId };
    socket.emit("user_uttered", message, function (answer) {
      if (answer && LATER[answer.code]) { later(entry, answer.retry_after_seconds); return; }
      keepPending(pending.filter(function (other) { return other !== entry; }));
      markUnsent(entry, false);
    });
  }
  function later(entry, seconds) {
    markUnsent(entry, true);
    showTyping(null);
    var wait = Math.max(1, seconds || 1) * 1000 * (1 + Math.random() / 2);
    entry.timer = window.setTimeout(function () {
      if (joined && pending.indexOf(entry) >= 0) transmit(entry);
    }, wait);
  }
  function markUnsent(entry, unsent) {
    var item = entry.item;
    if (!item || item.classList.contains("nimbus-msg-unsent") === unsent) return;
    item.classList.toggle("nimbus-msg-unsent", unsent);
    if (unsent) item.appendChild(el("span", { class: "nimbus-msg-state" }, STRINGS.unsent));
    else item.querySelector(".nimbus-msg-state").remove();
  }
  function say(message, shownText) {
    var entry = { id: newId(), text: shownText || message, sent: message };
    dropTopics();
    if (state === "closed") dropRating();  // writing again reopens: the bot answers
    entry.item = show("user", entry.text, STRINGS.you);
    keepPending(pending.concat([entry]));
    if (joined) transmit(entry);
    if (state === "bot" || state === "closed") showTyping(STRINGS.bot);
  }
  function rebuild(messages) {
    log.textContent = "";
    topics = null;
    var unanswered = rating && !rated;
    rating = null;
    if (!messages.length || greetedSession === sessionId) greet(!messages.length && !pending.length);
    messages.forEach(function (m, index) {
      var last = index === messages.length - 1 && offered && offered.text === m.text;
      show(m.sender, m.text, whoIs(m.sender, m.agent_name || m.agent), last ? offered.buttons : null);
    });
    // A pending message may already be stored, its acknowledgement still on the way.
    var stored = {};
    messages.forEach(function (m) { if (m.message_id) stored[m.message_id] = true; });
    keepPending(pending.filter(function (entry) { return !stored[entry.id]; }));
    pending.forEach(function (entry) { entry.item = show("user", entry.text, STRINGS.you); transmit(entry); });
    if (unanswered && state === "closed") askRating(false);
    toNewest();
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

  // The rating is asked once the conversation is closed (the gateway refuses it before) and
  // goes away, if not used, when the customer writes again.
  var rating = null;
  var rated = false;
  function askRating(focus) {
    if (rating) return;
    rated = false;
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
    toNewest();
    if (focus) rating.querySelector("button").focus();
  }
  function dropRating() {
    if (rating && !rated) rating.remove();
    rating = null;
  }
  function thank() {
    if (!rating) return;
    rated = true;
    rating.textContent = "";
    rating.appendChild(el("p", {}, STRINGS.thanks));
    var again = el("button", { type: "button", class: "nimbus-new-chat" }, STRINGS.newChat);
    again.addEventListener("click", restart);
    rating.appendChild(again);
    again.focus();
  }
  function restart() {
    log.textContent = "";
    keepPending([]);
    rating = null;
    joined = false;
    setState("bot", null);
    socket.emit("session_request", sessionRequest({}));  // no id: the gateway starts a new one
    input.focus();
  }

  function showConfirm(shown) {
    if (shown) { confirmBox.removeAttribute("hidden"); confirmYes.focus(); } else { confirmBox.setAttribute("hidden", ""); }
  }
  end.addEventListener("click", function () { showConfirm(true); });
  confirmNo.addEventListener("click", function () { showConfirm(false); input.focus(); });
  confirmYes.addEventListener("click", function () {
    showConfirm(false);
    if (!socket || !joined) { status.textContent = STRINGS.offline; return; }
    // The acknowledgement and `handover_status` both say closed: whichever comes first asks.
    ending = true;
    socket.emit("end_chat", {}, function (answer) {
      if (answer && answer.state === "closed") closed(answer);
      ending = false;
    });
  });
  // The rating takes the focus only from a customer who just ended the chat, not from one
  // typing when the agent closes.
  var ending = false;
  function closed(data) {
    var was = state;
    setState("closed", null);
    describe(data);
    if (was !== "closed") askRating(ending);
  }

  // The header names who answers now. A status without the agent's name (the one that follows a
  // reload) keeps the name known already, or takes the one the history gives.
  var historyName = null;
  function setState(next, name) {
    var stillAssigned = state === "assigned" && next === "assigned";
    state = next;
    if (next !== "assigned") agentName = null;
    else if (name) agentName = name;
    else if (!stillAssigned || !agentName) agentName = historyName;
    var talking = next === "assigned" ? agentName || STRINGS.someone : STRINGS.bot;
    who.textContent = next === "queued" ? STRINGS.waiting
      : next === "closed" ? STRINGS.ended
      : fill(STRINGS.talkingTo, { who: talking });
    if (next === "closed") { end.setAttribute("hidden", ""); showConfirm(false); } else { end.removeAttribute("hidden"); }
  }
  function describe(data) {
    delete status.dataset.error;  // the line now tells the state, which stays
    if (state === "queued") {
      var minutes = Math.max(1, Math.round(((data && data.estimated_wait_seconds) || 60) / 60));
      status.textContent = data && data.position
        ? fill(STRINGS.queued, { p: data.position, wait: count(STRINGS.minutes, minutes) })
        : STRINGS.inQueue;
    } else if (state === "assigned") {
      status.textContent = fill(STRINGS.assigned, { name: agentName || STRINGS.someone });
    } else if (state === "closed") {
      status.textContent = STRINGS.closed;
    } else {
      status.textContent = "";
    }
  }
  // The author of the latest message if an agent wrote it; a line of the gateway after it (a
  // transfer, a requeue) may mean someone else answers now: then nobody is named.
  function nameIn(messages) {
    for (var i = messages.length - 1; i >= 0; i--) {
      if (messages[i].sender === "agent") return messages[i].agent_name || messages[i].agent || null;
      if (messages[i].sender === "system") return null;
    }
    return null;
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
      var seconds = Math.max(1, Math.ceil((data && data.retry_after_seconds) || 1));
      status.textContent = fill(text, { wait: count(STRINGS.seconds, seconds) });
      status.dataset.error = "1";
    });
    socket.on("history", function (data) {
      if (data.session_id !== sessionId) return;
      var messages = data.messages || [];
      historyName = nameIn(messages);
      rebuild(messages);
      if (state === "assigned" && !agentName && historyName) {
        setState("assigned", historyName);
        if (!status.dataset.error) describe(null);
      }
    });
    socket.on("bot_uttered", function (data) {
      var custom = data.custom || {};
      var sender = custom.sender === "agent" ? "agent" : custom.sender === "system" ? "system" : "bot";
      if (sender !== "system") showTyping(null);
      if (status.dataset.error) { status.textContent = ""; delete status.dataset.error; }
      if (sender === "agent" && state === "assigned" && custom.agent_name && !agentName) setState("assigned", custom.agent_name);
      if (data.text) show(sender, data.text, whoIs(sender, custom.agent_name), data.quick_replies || data.buttons);
    });
    // The first status after loading only tells where the conversation stands: a conversation
    // closed before the reload shows as ended, without asking again for a rating.
    socket.on("handover_status", function (data) {
      var first = !settled;
      settled = true;
      if (data.state === "closed" && !first) { closed(data); return; }
      setState(data.state, data.agent_name);
      describe(data);
      if (data.state !== "closed") dropRating();
    });
    socket.on("satisfaction_saved", thank);
    socket.on("typing", function (data) { showTyping(data.typing ? agentName || STRINGS.agent : null); });
  }

  if (wasOpen()) setOpen(true, false);  // back as the customer left it, without taking the focus
  if (window.io) { connect(); } else {
    var client = el("script", { src: server + "/vendor/socket.io.min.js" });
    client.onload = connect;
    document.head.appendChild(client);
  }
})();
