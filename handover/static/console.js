/* Nimbus agent console: the gateway's REST API for actions, its /agent namespace for live events.
   Every text is set with textContent: nothing a customer or the bot wrote becomes HTML. */
(function () {
  "use strict";
  var session = window.NimbusAgent;  // agent-session.js: the sign-in, the API, DOM helpers
  var api = session.api, el = session.el, clear = session.clear, minutes = session.minutes;
  var REASONS = session.REASONS;
  var SKILLS = ["billing", "network", "orders", "accounts", "general"];
  var OUTCOMES = {
    resolved_by_bot: "Ended with the assistant", resolved_by_agent: "Closed by an agent",
    ended_by_customer: "Ended by the customer", abandoned: "Left the queue", ticket: "Ticket opened"
  };
  var WRAP_UPS = { resolved: "resolved", not_resolved: "not resolved", duplicate: "duplicate", spam: "spam" };
  var IDLE_TEXT = "Open one of your chats, or accept one from the queue.";
  var $ = function (id) { return document.getElementById(id); };
  var me = null, socket = null, canned = [], team = [];
  var queue = [], queueFetchedAt = 0;
  var chats = {};  // conversation id -> {item, detail, unread, note}
  var active = null;
  var unseen = 0;
  // Panels kept in their own files (notes and labels, past contacts, flags) plug in here: each
  // may have opened(id, detail) called once a chat's packet is shown, transcript(log) each
  // time the transcript is drawn, and closed() when the chat goes.
  var panels = [];

  function notice(text) { $("notice").textContent = text; }
  function customerName(item) {
    var profile = item.customer || item.profile;
    return (profile && profile.name) || "Unverified customer";
  }
  function firstName(detail) {
    var name = detail && detail.profile && detail.profile.name;
    return name ? name.split(" ")[0] : "there";
  }

  session.on("signedOut", function () { signOut("Your session has expired: please sign in again."); });
  session.on("notice", notice);
  function failed(error) { if (error.message !== "signed out") notice("Could not do that: " + error.message); }

  // -- signing in and out ------------------------------------------------------------------
  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    session.signIn($("username").value.trim(), $("password").value).then(function () {
      $("password").value = "";
      begin();
    }).catch(function (error) { $("login-error").textContent = error.message; });
  });
  function signOut(message) {
    session.forget(true);
    if (socket) socket.disconnect();
    me = null; chats = {};
    closePanel(IDLE_TEXT);
    $("desk").hidden = true; $("me").hidden = true; $("login-view").hidden = false;
    notice(message || "");
  }
  $("logout").addEventListener("click", function () { signOut("Signed out."); });
  $("status").addEventListener("change", function () {
    api("POST", "/api/agent/status", { status: $("status").value }).then(function (agent) {
      notice(agent.status === "away" ? "You're away: no new chats will be offered." : "You're online.");
    }).catch(failed);
  });

  function start() {
    // After a reload the token's end is unknown: a fresh one tells it (and 401 means sign in).
    session.refresh().then(begin).catch(failed);
  }
  function begin() {
    api("GET", "/api/agent/me").then(function (agent) {
      me = agent;
      $("login-view").hidden = true; $("desk").hidden = false; $("me").hidden = false;
      $("me-name").textContent = agent.display_name || agent.username;
      $("supervisor-link").hidden = ["supervisor", "admin"].indexOf(agent.role) < 0;
      $("dashboard-link").hidden = ["manager", "supervisor", "admin"].indexOf(agent.role) < 0;
      $("status").value = agent.status === "away" ? "away" : "online";
      if (agent.status === "offline") api("POST", "/api/agent/status", { status: "online" }).catch(failed);
      $("notify-enable").hidden = !("Notification" in window) || Notification.permission !== "default";
      connect();
      refreshQueue(); refreshChats(); refreshClosed();
      api("GET", "/api/agent/canned-responses").then(function (list) { canned = list; renderCanned(); }).catch(failed);
    }).catch(failed);
  }
  $("notify-enable").addEventListener("click", function () {
    Notification.requestPermission().then(function () { $("notify-enable").hidden = true; });
  });

  // -- live events --------------------------------------------------------------------------
  function connect() {
    // A function, so that reconnections present the latest token, not the first one.
    socket = window.io("/agent", { transports: ["websocket"], auth: function (cb) { cb({ token: session.token() }); } });
    socket.on("connect_error", function (error) {
      if (error.message === "authentication failed") signOut("Please sign in again.");
    });
    socket.on("signed_out", function () { signOut("You were signed out: please sign in again."); });
    // `data-live` tells whoever watches the page (and the tests) whether events can arrive.
    socket.on("connect", function () { document.body.dataset.live = "on"; refreshQueue(); refreshChats(); });
    socket.on("disconnect", function () { document.body.dataset.live = "off"; });
    socket.on("queue_updated", function () { refreshQueue(); refreshChats(); });
    socket.on("handover_requested", function (data) {
      if (!serves(data.skill)) return;
      if ($("status").value === "online") chime();
      announce("New chat waiting" + (data.reason ? " (" + (REASONS[data.reason] || data.reason) + ")" : "") +
               (data.summary ? ": " + data.summary : "."));
    });
    socket.on("conversation_transferred", function (data) {
      announce("A chat was transferred to you.");
      refreshChats().then(function () { openChat(data.conversation_id); });
    });
    socket.on("customer_message", function (data) {
      var chat = chats[data.conversation_id];
      if (!chat) return;
      var message = { id: data.id, sender: "user", text: data.text, timestamp: new Date((data.at || Date.now() / 1000) * 1000).toISOString() };
      // While the packet is on its way this message may or may not be in it: keep it aside.
      // A chat never opened needs nothing: its packet, fetched on opening, holds the message.
      if (!chat.detail) { if (chat.loading) (chat.pending = chat.pending || []).push(message); return; }
      chat.detail.transcript.push(message);
      chat.note = "";
      if (data.conversation_id === active) { renderTranscript(); $("customer-typing").textContent = ""; loadSuggestion(active); }
      else { chat.unread += 1; renderChats(); announce("New message from " + customerName(chat.item) + "."); }
    });
    socket.on("customer_typing", function (data) {
      if (data.conversation_id === active) $("customer-typing").textContent = data.typing ? "The customer is typing…" : "";
    });
    socket.on("conversation_closed", function (data) {
      var chat = chats[data.conversation_id];
      var name = chat ? customerName(chat.item) : "the customer";
      var text = data.by === "customer"
        ? "The customer ended the chat" + (chat ? " (" + name + ")" : "") + "."
        : "Your chat with " + name + " was closed" + (data.reason ? " (" + (WRAP_UPS[data.reason] || data.reason) + ")" : "") + ".";
      var wasOpen = data.conversation_id === active;
      delete chats[data.conversation_id];
      if (wasOpen) closePanel(text);
      renderChats(); refreshClosed();
      if (data.by === "customer" || wasOpen) announce(text);
    });
    socket.on("conversation_reassigned", function (data) {
      announce("A supervisor gave your chat to " + data.to_agent + ".");
    });
    socket.on("conversation_rated", function (data) {
      refreshClosed();
      notice("A customer rated your chat " + data.score + " / 5.");
    });
    socket.on("customer_left", function (data) {
      var chat = chats[data.conversation_id];
      if (!chat) return;
      chat.note = "The customer has left the page; they may come back.";
      if (data.conversation_id === active) $("chat-state").textContent = chat.note;
    });
  }
  function serves(skill) {
    return !me || !me.skills.length || !skill || skill === "general" || me.skills.indexOf(skill) >= 0;
  }
  function announce(text) {
    notice(text);
    if (document.hidden || !document.hasFocus()) {
      unseen += 1;
      document.title = "(" + unseen + ") Nimbus agent console";
    }
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification("Nimbus agent console", { body: text });
    }
  }
  window.addEventListener("focus", function () { unseen = 0; document.title = "Nimbus agent console"; });

  // -- the queue -----------------------------------------------------------------------------
  function refreshQueue() {
    return api("GET", "/api/queue").then(function (data) {
      queue = data.items; queueFetchedAt = Date.now(); renderQueue();
    }).catch(failed);
  }
  function renderQueue() {
    var list = clear($("queue"));
    $("queue-count").textContent = "(" + queue.length + ")";
    $("queue-empty").hidden = queue.length > 0;
    queue.forEach(function (item) {
      var li = el("li", { class: item.priority === "high" || item.vulnerable ? "priority" : "" });
      li.append(el("div", { class: "who" }, customerName(item)));
      var flags = [item.skill, REASONS[item.reason] || item.reason || "reason unknown"];
      if (item.priority === "high") flags.push("high priority");
      if (item.vulnerable) flags.push("vulnerable");
      li.append(el("div", { class: "meta" }, flags.join(" · ")));
      var wait = el("div", { class: "meta wait", "data-waiting": item.waiting_seconds }, "Waiting " + minutes(item.waiting_seconds));
      li.append(wait);
      if (item.summary) li.append(el("div", { class: "meta" }, item.summary));
      // What the customer said last, before accepting (stored redacted, cut by the gateway).
      if (item.last_message) li.append(el("p", { class: "said", title: "The customer's last message" }, "“" + item.last_message.text + "”"));
      var first = list.childNodes.length === 0;
      var accept = el("button", { type: "button", "aria-label": "Accept chat with " + customerName(item),
                                  "aria-keyshortcuts": first ? "Alt+A" : "" }, first ? "Accept (Alt+A)" : "Accept");
      accept.addEventListener("click", function () { acceptChat(item.conversation_id); });
      li.append(accept);
      list.append(li);
    });
  }
  window.setInterval(function () {
    var elapsed = (Date.now() - queueFetchedAt) / 1000;
    Array.prototype.forEach.call(document.querySelectorAll(".queue .wait"), function (node) {
      var base = Number(node.getAttribute("data-waiting"));
      node.textContent = "Waiting " + minutes(base + elapsed);
    });
  }, 1000);
  function acceptChat(id) {
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/accept").then(function () {
      notice("");
      return refreshChats();
    }).then(function () { openChat(id); }).catch(function (error) {
      notice("Could not accept: " + error.message + ".");
      refreshQueue();
    });
  }

  // -- a sound when a chat starts waiting -----------------------------------------------------
  // Made with Web Audio (no file to fetch); the agent's choice is kept in this browser.
  var SOUND_KEY = "nimbus-console-sound";
  var audio = null;
  function soundOn() { return window.localStorage.getItem(SOUND_KEY) !== "off"; }
  function showSound() {
    $("sound").textContent = soundOn() ? "Sound on" : "Sound off";
    $("sound").setAttribute("aria-pressed", soundOn() ? "true" : "false");
  }
  $("sound").addEventListener("click", function () {
    window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
    showSound();
    if (soundOn()) chime();
  });
  showSound();
  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!soundOn() || !Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      var tone = audio.createOscillator(), volume = audio.createGain(), now = audio.currentTime;
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.2, now);
      volume.gain.exponentialRampToValueAtTime(0.001, now + 0.35);
      tone.connect(volume); volume.connect(audio.destination);
      tone.start(now); tone.stop(now + 0.35);
    } catch (error) { /* no audio output: the notice and the title still tell */ }
  }
  // Browsers start audio only after a click or a key: any one on the page will do.
  document.addEventListener("pointerdown", function () { if (audio && audio.state === "suspended") audio.resume(); });

  // -- keyboard: accept, next chat, close -----------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !me || $("close-dialog").open) return;
    // event.code: the key's place, whatever the layout or the character Alt makes on a Mac.
    if (event.code === "KeyA") {
      event.preventDefault();
      if (queue.length) acceptChat(queue[0].conversation_id);
      else notice("Nobody is waiting.");
    } else if (event.code === "KeyN") {
      event.preventDefault();
      var ids = Object.keys(chats);
      if (!ids.length) { notice("No chats yet: accept one from the queue."); return; }
      openChat(ids[(ids.indexOf(active) + 1) % ids.length]);
    } else if (event.code === "KeyC") {
      event.preventDefault();
      if (active) $("close").click();
    }
  });

  // -- closed recently, with the customer's rating once given -------------------------------
  function refreshClosed() {
    return api("GET", "/api/agent/closed").then(function (data) {
      var list = clear($("closed"));
      $("closed-empty").hidden = data.items.length > 0;
      data.items.forEach(function (e) {
        var li = el("li");
        li.append(el("span", { class: "who" }, customerName(e) + " "));
        var parts = [OUTCOMES[e.outcome] || e.outcome];
        if (e.reason) parts.push(WRAP_UPS[e.reason] || e.reason);
        if (e.ended_at) parts.push(new Date(e.ended_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
        parts.push(e.satisfaction === null || e.satisfaction === undefined ? "not rated yet" : "rated " + e.satisfaction + " / 5");
        li.append(el("div", { class: "meta" }, parts.join(" · ")));
        list.append(li);
      });
    }).catch(failed);
  }

  // -- my chats ------------------------------------------------------------------------------
  function refreshChats() {
    return api("GET", "/api/agent/conversations").then(function (data) {
      var next = {};
      data.items.forEach(function (item) {
        next[item.conversation_id] = chats[item.conversation_id] || { unread: 0, detail: null, note: "" };
        next[item.conversation_id].item = item;
      });
      chats = next;
      if (active && !chats[active]) closePanel("This chat is no longer yours (handed back, transferred or closed elsewhere).");
      renderChats();
    }).catch(failed);
  }
  function renderChats() {
    var list = clear($("chats"));
    var ids = Object.keys(chats);
    $("chats-empty").hidden = ids.length > 0;
    ids.forEach(function (id) {
      var chat = chats[id];
      var li = el("li", { class: id === active ? "active" : "" });
      var open = el("button", { type: "button", class: "open", "aria-current": id === active ? "true" : "false" });
      open.append(el("span", { class: "who" }, customerName(chat.item) + " "));
      if (chat.unread) open.append(el("span", { class: "badge", "aria-label": chat.unread + " unread" }, chat.unread));
      open.append(el("div", { class: "meta" }, chat.item.skill + " · " + (REASONS[chat.item.reason] || chat.item.reason || "")));
      open.addEventListener("click", function () { openChat(id); });
      li.append(open);
      list.append(li);
    });
  }
  function openChat(id) {
    var chat = chats[id];
    if (!chat) return;
    // Until its packet arrives, nothing of the chat shown before may be read or answered here.
    if (active !== id) closePanel(IDLE_TEXT);
    active = id; chat.unread = 0; chat.loading = true;
    api("GET", "/api/conversations/" + encodeURIComponent(id)).then(function (detail) {
      (chat.pending || []).forEach(function (message) {
        var stored = detail.transcript.some(function (m) { return m.id === message.id; });
        if (!stored) detail.transcript.push(message);
      });
      chat.pending = []; chat.loading = false;
      chat.detail = detail;
      if (active !== id) return;
      $("idle").hidden = true; $("chat").hidden = false; $("context").hidden = false;
      box.disabled = false; $("reply-send").disabled = false;
      $("chat-title").textContent = "Chat with " + customerName(detail);
      $("chat-state").textContent = chat.note || ("Waited " + minutes(detail.waited_seconds) + " before you took it.");
      $("customer-typing").textContent = "";
      renderTranscript(); renderContext(detail); renderChats(); refreshTeam(); loadSuggestion(id);
      panels.forEach(function (panel) { if (panel.opened) panel.opened(id, detail); });
      $("reply-text").focus();
    }).catch(failed);
  }
  // Nothing of a chat stays on screen once it is not open: no transcript, context or draft
  // that could be read or answered by mistake (a draft would go to the next chat opened).
  function closePanel(why) {
    active = null;
    $("chat").hidden = true; $("context").hidden = true; $("idle").hidden = false;
    $("idle-text").textContent = why || IDLE_TEXT;
    clear($("transcript")); clear($("chat-title")); clear($("chat-state")); clear($("customer-typing"));
    ["context-facts", "verification", "profile", "slots", "episodes"].forEach(function (id) { clear($(id)); });
    clear(document.querySelector("#intents tbody"));
    box.value = ""; box.disabled = true; $("reply-send").disabled = true;
    showSuggestion(null);
    panels.forEach(function (panel) { if (panel.closed) panel.closed(); });
    if ($("close-dialog").open) $("close-dialog").close();
  }

  // The transcript keeps showing the newest message when the panel around it changes height
  // (the transfer list filling in, a window resized), unless the agent scrolled up to read.
  var atEnd = true;
  $("transcript").addEventListener("scroll", function () {
    var log = $("transcript");
    atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  });
  if ("ResizeObserver" in window) {
    new ResizeObserver(function () {
      var log = $("transcript");
      if (atEnd) log.scrollTop = log.scrollHeight;
    }).observe($("transcript"));
  }

  function renderTranscript() {
    if (!active || !chats[active] || !chats[active].detail) return;
    var detail = chats[active].detail;
    var log = clear($("transcript"));
    detail.transcript.forEach(function (m) {
      var who = { user: "Customer", bot: "Assistant", system: "System" }[m.sender] ||
                (m.agent === me.username ? "You" : (m.agent || "Agent"));
      var time = m.timestamp ? new Date(m.timestamp).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
      var item = el("div", { class: "msg msg-" + m.sender });
      if (m.id !== undefined && m.id !== null) item.setAttribute("data-message-id", m.id);
      item.append(el("span", { class: "who" }, who + (time ? " · " + time : "")), el("p", {}, m.text));
      log.append(item);
    });
    panels.forEach(function (panel) { if (panel.transcript) panel.transcript(log); });
    log.scrollTop = log.scrollHeight;
    atEnd = true;
  }

  function facts(target, pairs) {
    var dl = clear($(target));
    pairs.forEach(function (pair) {
      dl.append(el("dt", {}, pair[0]), el("dd", {}, pair[1] === null || pair[1] === undefined || pair[1] === "" ? "–" : pair[1]));
    });
  }
  function renderContext(d) {
    facts("context-facts", [
      ["Reason", REASONS[d.reason] || d.reason], ["Summary", d.summary], ["Skill", d.skill],
      ["Priority", d.priority + (d.vulnerable ? " · vulnerable customer" : "")],
      ["Language", d.language], ["Waited", minutes(d.waited_seconds)]
    ].concat(d.satisfaction === null || d.satisfaction === undefined ? [] : [["Satisfaction", d.satisfaction + " / 5"]]));
    var s = d.slots || {};
    facts("verification", [
      ["Verified", s.verified ? "Yes" : "No"], ["Account", s.account_number],
      ["Failed attempts", s.verification_failures === null || s.verification_failures === undefined ? 0 : s.verification_failures],
      ["Locked", s.verification_locked ? "Yes" : "No"]
    ]);
    var p = d.profile;
    facts("profile", p ? [
      ["Name", p.name], ["Customer id", p.customer_id], ["Email", p.email], ["Phone", p.phone],
      ["Segment", p.segment], ["Accounts", (p.accounts || []).join(", ")], ["Postcode", p.postcode],
      ["Vulnerable", p.vulnerable ? "Yes" : "No"], ["Language", p.language]
    ] : [["Profile", "Not verified: no CRM data shown"]]);
    var body = clear(document.querySelector("#intents tbody"));
    (d.intents || []).forEach(function (turn) {
      var row = el("tr");
      var confidence = Math.round((turn.confidence || 0) * 100);
      row.append(el("td", {}, turn.text), el("td", {}, turn.intent || "–"),
                 el("td", { class: confidence < 60 ? "low" : "" }, confidence + "%"));
      body.append(row);
    });
    facts("slots", Object.keys(s).map(function (k) { return [k, s[k] === null ? null : JSON.stringify(s[k])]; }));
    renderEpisodes(d);
  }
  // The contacts before this one: how each ended, why, and the customer's rating.
  function renderEpisodes(d) {
    var list = clear($("episodes"));
    var earlier = (d.episodes || []).filter(function (e) { return e.number !== d.episode || e.outcome; });
    $("earlier").hidden = earlier.length === 0;
    earlier.forEach(function (e) {
      var parts = ["Contact " + e.number, OUTCOMES[e.outcome] || e.outcome || "open"];
      if (e.ended_at) parts.push(new Date(e.ended_at).toLocaleDateString());
      if (e.agent) parts.push(e.agent);
      if (e.reason) parts.push(WRAP_UPS[e.reason] || e.reason);
      if (e.satisfaction !== null && e.satisfaction !== undefined) parts.push("rated " + e.satisfaction + " / 5");
      var li = el("li", {}, parts.join(" · "));
      if (e.note) li.append(el("div", { class: "muted" }, "Note: " + e.note));
      list.append(li);
    });
  }

  // -- replying ------------------------------------------------------------------------------
  var box = $("reply-text");
  function fillIn(text, detail, french) {
    // French has no "there": without a name, "Bonjour {customer}, ..." reads "Bonjour, ...".
    if (french && !(detail && detail.profile && detail.profile.name)) text = text.replace(/,? ?\{customer\}/g, "");
    return text.replace(/\{customer\}/g, firstName(detail)).replace(/\{agent\}/g, (me.display_name || me.username).split(" ")[0]);
  }
  function insert(response) {
    // The variant in the open conversation's language; English when the file has no French.
    var detail = active && chats[active].detail;
    var french = Boolean(detail && detail.language === "fr" && response.text_fr);
    box.value = fillIn(french ? response.text_fr : response.text, detail, french);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
  function renderCanned() {
    var list = clear($("canned"));
    canned.forEach(function (response, index) {
      var keys = index < 9 ? " (Alt+" + (index + 1) + ")" : "";
      var button = el("button", { type: "button", title: response.text }, response.title + " " + response.shortcut + keys);
      button.addEventListener("click", function () { insert(response); });
      var li = el("li");
      li.append(button);
      list.append(li);
    });
  }
  // -- agent assist: the bot's answer to the customer's latest message --------------------------
  var suggested = null;  // {conversation, text} shown above the reply box
  function showSuggestion(found) {
    suggested = found;
    $("suggestion").hidden = !found;
    $("suggestion-text").textContent = found ? found.text : "";
  }
  function loadSuggestion(id) {
    showSuggestion(null);  // the last one answered an older message
    api("GET", "/api/conversations/" + encodeURIComponent(id) + "/suggestion").then(function (found) {
      // Only for the chat still open; nothing at all when there is nothing to suggest.
      if (found && active === id) showSuggestion({ conversation: id, text: found.text });
    }).catch(function () { /* the assistant down, or the chat gone: no suggestion, no noise */ });
  }
  function insertSuggestion() {
    if (!suggested || suggested.conversation !== active || box.disabled) return;
    box.value = suggested.text;  // for the agent to edit: never sent from here
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }
  $("suggestion-insert").addEventListener("click", insertSuggestion);
  document.addEventListener("keydown", function (event) {
    // event.code: on a Mac, Alt+S types "ß".
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyS" && suggested) {
      event.preventDefault();
      insertSuggestion();
    }
  });

  var lastTyping = 0;
  box.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && !event.shiftKey) {
      var match = canned.filter(function (r) { return r.shortcut === box.value.trim(); })[0];
      if (match) { event.preventDefault(); insert(match); }
    } else if (event.altKey && /^[1-9]$/.test(event.key) && canned[Number(event.key) - 1]) {
      event.preventDefault();
      insert(canned[Number(event.key) - 1]);
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("reply").requestSubmit();
    }
  });
  box.addEventListener("input", function () {
    if (!active || Date.now() - lastTyping < 2000) return;
    lastTyping = Date.now();
    socket.emit("typing", { conversation_id: active, typing: true });
  });
  $("reply").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value.trim();
    var id = active;
    if (!text) return;
    if (!id) { notice("No chat is open: your reply was not sent."); return; }
    api("POST", "/api/conversations/" + encodeURIComponent(id) + "/messages", { text: text }).then(function () {
      box.value = "";
      if (id === active) showSuggestion(null);  // answered: the next message brings the next one
      lastTyping = 0;
      socket.emit("typing", { conversation_id: id, typing: false });
      var detail = chats[id] && chats[id].detail;
      if (detail) detail.transcript.push({ sender: "agent", agent: me.username, text: text, timestamp: new Date().toISOString() });
      if (id === active) renderTranscript();
    }).catch(refused("Your reply was not sent: "));  // the text stays in the box
  });

  // -- transfer, hand back, close ------------------------------------------------------------
  function renderTransferTargets() {
    var select = clear($("transfer-to"));
    team.filter(function (a) { return a.status === "online"; }).forEach(function (a) {
      select.append(el("option", { value: "agent:" + a.username }, (a.display_name || a.username) + " (agent)"));
    });
    SKILLS.forEach(function (skill) {
      select.append(el("option", { value: "skill:" + skill }, skill.charAt(0).toUpperCase() + skill.slice(1) + " queue"));
    });
  }
  function refreshTeam() {
    return api("GET", "/api/agent/team").then(function (list) { team = list; renderTransferTargets(); }).catch(failed);
  }
  $("transfer-to").addEventListener("focus", refreshTeam);
  function finish(action, body, message) {
    var id = active;
    if (!id) { notice("No chat is open."); return Promise.resolve(); }
    return api("POST", "/api/conversations/" + encodeURIComponent(id) + "/" + action, body).then(function () {
      notice(message);
      delete chats[id];
      if (active === id) closePanel(message);
      renderChats();
      if (action === "close") refreshClosed();
    });
  }
  $("transfer").addEventListener("click", function () {
    var parts = $("transfer-to").value.split(":");
    var body = parts[0] === "agent" ? { agent: parts[1] } : { skill: parts[1] };
    finish("transfer", body, "Transferred to " + parts[1] + ".").catch(refused("Could not do that: "));
  });
  $("handback").addEventListener("click", function () {
    finish("handback", undefined, "Handed back to the bot.").catch(refused("Could not do that: "));
  });
  // A refused action is told; a chat that is no longer ours (403, 409) leaves the list.
  function refused(prefix) {
    return function (error) {
      if (error.message === "signed out") return;
      notice(prefix + error.message + ".");
      if (error.status === 403 || error.status === 409) refreshChats();
    };
  }

  // Closing asks for a wrap-up reason (and an optional note) in a modal dialog: Esc or Cancel
  // leave the chat open; the focus goes back to the Close button either way.
  var dialog = $("close-dialog");
  $("close").addEventListener("click", function () {
    if (!active) return;
    $("close-form").reset();
    $("close-error").textContent = "";
    $("close-confirm").disabled = false;
    dialog.showModal();
    dialog.querySelector("input[name=reason]").focus();
  });
  $("close-cancel").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", function () { (active ? $("close") : $("idle")).focus(); });
  $("close-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = dialog.querySelector("input[name=reason]:checked");
    if (!chosen) { $("close-error").textContent = "Choose a wrap-up reason."; return; }
    var body = { reason: chosen.value };
    var note = $("close-note").value.trim();
    if (note) body.note = note;
    $("close-error").textContent = "";
    $("close-confirm").disabled = true;
    finish("close", body, "Conversation closed (" + WRAP_UPS[chosen.value] + ").").then(function () {
      if (dialog.open) dialog.close();
    }).catch(function (error) {
      $("close-confirm").disabled = false;
      if (error.message !== "signed out") $("close-error").textContent = "Could not close: " + error.message + ".";
      refused("Could not close: ")(error);
    });
  });

  // What the panels may use: the signed-in API, the DOM helpers, who is signed in, which chat
  // is open (a panel's late answer for a chat no longer open must be dropped).
  window.NimbusConsole = {
    api: api, el: el, clear: clear, notice: notice, failed: failed,
    me: function () { return me; }, active: function () { return active; },
    plug: function (panel) { panels.push(panel); }
  };
  if (session.token()) start();
})();
