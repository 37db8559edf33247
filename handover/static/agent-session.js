/* What the staff pages (console, supervisor view, dashboard, trainer page) share: the sign-in, kept in this tab's
   sessionStorage and renewed before it expires; the gateway's API called with it; and the few
   DOM helpers both draw with (every text set with textContent, never as HTML). */
window.NimbusAgent = (function () {
  "use strict";
  var TOKEN_KEY = "nimbus-agent-token";
  // Access tokens live 15 minutes by default: ask for the next one this long before the end.
  var REFRESH_MARGIN_SECONDS = 60;
  var token = window.sessionStorage.getItem(TOKEN_KEY);
  var refreshTimer = null;
  var hooks = { signedOut: function () {}, notice: function () {} };

  function el(name, attrs, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function minutes(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    var m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  // The API with the current token. A 401 means the session is over: the page is told once
  // (`signedOut`), and the promise fails with "signed out", which callers keep quiet about.
  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) { hooks.signedOut(); throw new Error("signed out"); }
      if (response.status === 204) return null;
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error(explain(data));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  // FastAPI's 422 lists the refused fields: name them rather than saying "refused".
  function explain(data) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && Array.isArray(data.detail) && data.detail.length) {
      return data.detail.map(function (problem) {
        var where = (problem.loc || []).filter(function (part) { return part !== "body"; }).join(".");
        return (where ? where + ": " : "") + problem.msg;
      }).join("; ");
    }
    return "the request was refused";
  }

  // A new access token: keep it, and ask for the next one before it expires.
  function keep(data) {
    token = data.token;
    window.sessionStorage.setItem(TOKEN_KEY, token);
    window.clearTimeout(refreshTimer);
    var wait = Math.max(5, data.expires_in - REFRESH_MARGIN_SECONDS);
    refreshTimer = window.setTimeout(function () {
      refresh().catch(function (error) {
        if (error.message === "signed out") return;
        hooks.notice("Could not renew your session: retrying.");
        keep({ token: token, expires_in: REFRESH_MARGIN_SECONDS + 10 });
      });
    }, wait * 1000);
    return data;
  }
  function refresh() { return api("POST", "/api/agent/refresh").then(keep); }
  // Sign in and keep the token; or fail with the words to show under the form.
  function signIn(username, password) {
    return fetch("/api/agent/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: username, password: password })
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          if (response.status === 429) throw new Error("Too many attempts: try again in " + (response.headers.get("Retry-After") || "a few") + " seconds.");
          throw new Error(response.status === 401 ? "Wrong username or password." : "Sign-in failed.");
        }
        return keep(data);
      });
    });
  }
  // Sign out on the server too (when `revoke`), and forget the token here either way.
  function forget(revoke) {
    window.clearTimeout(refreshTimer);
    if (revoke && token) fetch("/api/agent/logout", { method: "POST", headers: { Authorization: "Bearer " + token } });
    token = null;
    window.sessionStorage.removeItem(TOKEN_KEY);
  }

  return {
    el: el, clear: clear, minutes: minutes, api: api, keep: keep, refresh: refresh, forget: forget,
    signIn: signIn,
    token: function () { return token; },
    // The page's own reactions: `signedOut()` on a 401, `notice(text)` for what it should say.
    on: function (name, fn) { hooks[name] = fn; },
    REASONS: {
      customer_request: "Asked for a person", repeated_fallback: "Bot did not understand twice",
      out_of_scope: "Out of scope", failed_verification: "Verification failed",
      backend_failure: "Back-end failure", order_not_found: "Order not found",
      sensitive_topic: "Complaint / upset customer"
    }
  };
})();
