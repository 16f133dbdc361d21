// SPDX-License-Identifier: MIT
// warden.js: the Warden browser client. No dependencies; include it with a <script> tag.
//
//   const session = Warden.connect({
//     token: TOKEN,                        // an HS256 JWT your backend signed
//     onLogout: (reason) => { location.href = "/login"; },
//   });
//
// It logs in on Warden's raw endpoint, reports real user activity (at most one "activity" event
// per activityIntervalMs), shows a "you will be logged out in N s" dialog on "expiring", calls
// onLogout(reason) on a 401, and reconnects with backoff and jitter only when the close code says
// it may (4000-4499, or the transport failed); never after 4500-4999.
(function (global) {
  "use strict";

  var scriptSrc = (global.document && document.currentScript && document.currentScript.src) || "";

  function defaultUrl() {
    // The script is served by Warden itself, so its origin is Warden's main port.
    var base = scriptSrc ? new URL(scriptSrc) : new URL(global.location.href);
    return (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/";
  }

  // Close codes: 4000-4499 may reconnect, 4500-4999 must not (docs/protocol.md).
  function mayReconnect(code) {
    if (code >= 4000 && code < 4500) return true;
    // Transport failures: abnormal closure, going away, server error, restart, try again later.
    return code === 1001 || code === 1006 || code === 1011 || code === 1012 || code === 1013 ||
      code === 1014;
  }

  var ACTIVITY_EVENTS = ["mousedown", "mousemove", "keydown", "scroll", "wheel", "touchstart",
    "pointerdown"];

  function Session(options) {
    var o = options || {};
    this.url = o.url || defaultUrl();
    this.token = o.token || "";
    this.activityIntervalMs = o.activityIntervalMs || 5000;
    this.dialog = o.dialog !== false;
    this.onLogout = o.onLogout || function () {
      if (o.loginUrl) global.location.href = o.loginUrl;
      else global.location.reload();
    };
    this.onEvent = o.onEvent || function () {};
    this.onStatus = o.onStatus || function () {};
    this.backoffMinMs = o.backoffMinMs || 500;
    this.backoffMaxMs = o.backoffMaxMs || 30000;

    this.ws = null;
    this.status = "idle";
    this.loggedIn = false;
    this.ended = false;
    this.attempt = 0;
    this.deadline = 0; // local estimate of the session's deadline (ms, this page's clock)
    this.idleTimeoutMs = 0;
    this.lastActivitySent = 0;
    this.activityPending = false;
    this._activityTimer = null;
    this._reconnectTimer = null;
    this._dialogEl = null;
    this._countdownTimer = null;

    var self = this;
    this._onActivity = function () { self.activity(false); };
    if (global.document) {
      ACTIVITY_EVENTS.forEach(function (name) {
        global.addEventListener(name, self._onActivity, { capture: true, passive: true });
      });
    }
    this._open();
  }

  Session.prototype._setStatus = function (status, detail) {
    this.status = status;
    try { this.onStatus(status, detail); } catch (e) { console.error(e); }
  };

  Session.prototype._open = function () {
    var self = this;
    this._setStatus(this.attempt ? "reconnecting" : "connecting");
    var ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self._setStatus("connected");
      self._send("login", { token: self.token });
    };
    ws.onmessage = function (e) {
      if (typeof e.data !== "string" || e.data.indexOf("42") !== 0) return;
      var frame;
      try { frame = JSON.parse(e.data.substring(2)); } catch (err) { return; }
      self._handle(frame[0], frame[1] || {});
    };
    ws.onclose = function (e) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.loggedIn = false;
      if (self.ended) return;
      if (mayReconnect(e.code)) {
        self._scheduleReconnect(e.code);
      } else if (e.code >= 4500 && e.code < 5000) {
        self._end(e.reason || "closed_" + e.code, { code: 401, close: e.code });
      } else {
        self._setStatus("closed", { code: e.code, reason: e.reason });
      }
    };
  };

  Session.prototype._scheduleReconnect = function (code) {
    var self = this;
    // Exponential backoff with full jitter, so a restarted server is not hit by every tab at once.
    var cap = Math.min(this.backoffMaxMs, this.backoffMinMs * Math.pow(2, this.attempt));
    var delay = Math.round(cap / 2 + Math.random() * cap / 2);
    this.attempt += 1;
    this._setStatus("waiting", { code: code, delayMs: delay, attempt: this.attempt });
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(function () { self._open(); }, delay);
  };

  Session.prototype._send = function (event, data) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify([event, data || {}]));
      return true;
    }
    return false;
  };

  Session.prototype._handle = function (event, data) {
    if (event === "message" && data.code === 200) {
      this.loggedIn = true;
      this.attempt = 0;
      this.idleTimeoutMs = (data.idle_timeout || 0) * 1000;
      this.deadline = Date.now() + (data.expires_in || 0) * 1000;
      this._setStatus("logged_in", data);
      if (this.activityPending) this._flushActivity();
    } else if (event === "message" && data.code === 401) {
      this._end(data.reason, data);
    } else if (event === "expiring") {
      this.deadline = Date.now() + (data.ms || data.seconds * 1000);
      if (this.dialog) this._showDialog();
    } else if (event === "extended") {
      this.deadline = Date.now() + data.seconds * 1000;
      this._hideDialog();
    }
    try { this.onEvent(event, data); } catch (e) { console.error(e); }
  };

  // User activity. Debounced: at most one "activity" event per activityIntervalMs; `force`
  // (the dialog's "stay signed in") sends at once.
  Session.prototype.activity = function (force) {
    if (this.ended) return;
    this.activityPending = true;
    if (!this.loggedIn) return;
    var wait = this.lastActivitySent + this.activityIntervalMs - Date.now();
    if (force || wait <= 0) {
      this._flushActivity();
    } else if (!this._activityTimer) {
      var self = this;
      this._activityTimer = setTimeout(function () {
        self._activityTimer = null;
        self._flushActivity();
      }, wait);
    }
  };

  Session.prototype._flushActivity = function () {
    if (!this.activityPending || !this.loggedIn) return;
    if (this._send("activity", {})) {
      this.activityPending = false;
      this.lastActivitySent = Date.now();
      if (this.idleTimeoutMs) this.deadline = this.lastActivitySent + this.idleTimeoutMs;
    }
  };

  Session.prototype.stay = function () {
    this._hideDialog();
    this.activity(true);
  };

  Session.prototype.logout = function () {
    this._send("logout", {});
  };

  Session.prototype.close = function () {
    this.ended = true;
    this._teardown();
    if (this.ws) this.ws.close(1000);
  };

  Session.prototype._teardown = function () {
    var self = this;
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._activityTimer);
    this._hideDialog();
    if (global.document) {
      ACTIVITY_EVENTS.forEach(function (name) {
        global.removeEventListener(name, self._onActivity, { capture: true });
      });
    }
  };

  Session.prototype._end = function (reason, data) {
    if (this.ended) return;
    this.ended = true;
    this.loggedIn = false;
    this._teardown();
    this._setStatus("logged_out", data);
    try { this.onLogout(reason, data); } catch (e) { console.error(e); }
  };

  Session.prototype._showDialog = function () {
    if (!global.document) return;
    var self = this;
    if (!this._dialogEl) {
      var box = document.createElement("div");
      box.className = "warden-dialog";
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-live", "assertive");
      box.style.cssText = "position:fixed;z-index:2147483647;left:50%;top:20%;" +
        "transform:translateX(-50%);max-width:24rem;padding:1.25rem 1.5rem;background:#fff;" +
        "color:#222;border-radius:8px;box-shadow:0 8px 30px rgba(0,0,0,.35);" +
        "font:16px/1.4 system-ui,sans-serif;border-top:4px solid #d97706";
      box.innerHTML = '<button class="warden-dismiss" aria-label="Dismiss" style="float:right;' +
        'border:0;background:none;font-size:1.25rem;cursor:pointer;color:#666">&times;</button>' +
        '<p class="warden-text" style="margin:0 0 1rem"></p>' +
        '<button class="warden-stay" style="padding:.5rem 1rem;border:0;border-radius:4px;' +
        'background:#2563eb;color:#fff;font-size:1rem;cursor:pointer">Stay signed in</button>';
      box.querySelector(".warden-dismiss").onclick = function () { self._hideDialog(); };
      box.querySelector(".warden-stay").onclick = function () { self.stay(); };
      document.body.appendChild(box);
      this._dialogEl = box;
    }
    var render = function () {
      var left = Math.max(0, Math.ceil((self.deadline - Date.now()) / 1000));
      self._dialogEl.querySelector(".warden-text").textContent =
        "You will be logged out in " + left + " s because of inactivity.";
    };
    render();
    clearInterval(this._countdownTimer);
    this._countdownTimer = setInterval(render, 250);
  };

  Session.prototype._hideDialog = function () {
    clearInterval(this._countdownTimer);
    this._countdownTimer = null;
    if (this._dialogEl) {
      this._dialogEl.remove();
      this._dialogEl = null;
    }
  };

  global.Warden = {
    version: "1",
    connect: function (options) { return new Session(options); },
    mayReconnect: mayReconnect,
  };
})(typeof window !== "undefined" ? window : globalThis);
