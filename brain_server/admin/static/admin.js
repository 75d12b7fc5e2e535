// fx-brain web admin: confirmations, the order form's field groups, and live updates.
// Live updates follow /ws/events (authenticated by the session cookie): ticks and
// status badges change in place; other regions marked data-live="topics" are
// re-fetched from the same URL and swapped, so live and reloaded pages look alike.
"use strict";
(() => {
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // ---- confirmations and double-submit protection
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const question = form.getAttribute("data-confirm");
    if (question) {
      const flatten = form.querySelector("input[name=flatten]");
      const text = flatten && flatten.checked
        ? question + "\n\nOpen positions will be CLOSED (flatten)."
        : question;
      if (!window.confirm(text)) {
        event.preventDefault();
        return;
      }
    }
    // a second click must not send the form twice
    setTimeout(() => $$("button[type=submit]", form).forEach((b) => { b.disabled = true; }), 0);
  });

  $$("[data-select-all]").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });

  // ---- order form: show the fields the chosen action uses
  const action = document.getElementById("o-action");
  if (action) {
    const sync = () => {
      $$("[data-for]").forEach((field) => {
        const show = field.dataset.for.split(" ").includes(action.value);
        field.hidden = !show;
        $$("input, select", field).forEach((input) => { input.disabled = !show; });
      });
    };
    action.addEventListener("change", sync);
    sync();
  }

  if (!document.body.dataset.liveEvents) return;

  // ---- live updates
  const scope = document.body.dataset;  // data-scope-executor / data-scope-command
  const indicator = document.getElementById("live");
  const labels = {
    connecting: "connecting…", live: "live", offline: "reconnecting…", expired: "session ended",
  };
  const setLive = (state) => {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.textContent = labels[state];
  };

  let dirty = new Set();
  let timer = null;
  let busy = false;
  let last = 0;

  const mark = (topic) => {
    dirty.add(topic);
    if (timer === null) {
      // at most about one refresh a second, the first one quickly
      const wait = Math.max(120, 800 - (Date.now() - last));
      timer = setTimeout(refresh, wait);
    }
  };

  async function refresh() {
    timer = null;
    if (busy) { mark("*"); return; }
    const topics = dirty;
    dirty = new Set();
    const regions = $$("[data-live]").filter((el) => topics.has("*")
      || el.dataset.live.split(" ").some((t) => topics.has(t)));
    if (!regions.length) return;
    busy = true;
    last = Date.now();
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (new URL(response.url).pathname.startsWith("/admin/login")) { location.reload(); return; }
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const el of regions) {
        const fresh = doc.getElementById(el.id);
        if (!fresh) continue;
        if (fresh.className !== el.className) el.className = fresh.className;
        if (fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
      }
    } catch (err) {
      // the next event tries again
    } finally {
      busy = false;
    }
  }

  const digits = (v) => (v >= 1000 ? 2 : v >= 10 ? 3 : 5);
  const price = (v) => v.toFixed(digits(v));
  const clock = (iso) => new Date(iso).toISOString().slice(11, 23);

  function tick(ev) {
    const key = ev.executorId + ":" + ev.symbol;
    let row = document.querySelector(`tr[data-tick="${CSS.escape(key)}"]`);
    if (!row) {
      const own = document.querySelector(`tbody[data-ticks="${CSS.escape(ev.executorId)}"]`);
      const body = own || document.querySelector('tbody[data-ticks="*"]');
      if (!body) return;
      row = document.createElement("tr");
      row.dataset.tick = key;
      const cells = own ? [] : [["opt", ev.executorId]];
      cells.push(["", ""], ["num mono", "", "bid"], ["num mono", "", "ask"], ["num", "", "spread"],
        ["num mono opt", "", "time"]);
      for (const [cls, text, k] of cells) {
        const td = document.createElement("td");
        td.className = cls;
        td.textContent = text;
        if (k) td.dataset.k = k;
        row.appendChild(td);
      }
      const name = document.createElement("strong");
      name.textContent = ev.symbol;
      row.children[own ? 0 : 1].appendChild(name);
      body.appendChild(row);
    }
    for (const [k, text] of [["bid", price(ev.bid)], ["ask", price(ev.ask)],
      ["spread", String(ev.spread)], ["time", clock(ev.timestamp)]]) {
      const cell = row.querySelector(`[data-k="${k}"]`);
      if (!cell) continue;
      if ((k === "bid" || k === "ask") && cell.textContent !== text) {
        const up = parseFloat(text) > parseFloat(cell.textContent);
        cell.classList.remove("tick-up", "tick-down");
        void cell.offsetWidth;  // restart the flash animation
        cell.classList.add(up ? "tick-up" : "tick-down");
      }
      cell.textContent = text;
    }
  }

  function executorStatus(ev) {
    for (const el of $$(`[data-ex-online="${CSS.escape(ev.executorId)}"]`)) {
      el.textContent = ev.online ? "online" : "offline";
      el.className = "badge " + (ev.online ? "on" : "off");
    }
    if (ev.tradingState) {
      for (const el of $$(`[data-ex-state="${CSS.escape(ev.executorId)}"]`)) {
        el.textContent = ev.tradingState;
        el.className = "badge ts-" + ev.tradingState.toLowerCase();
      }
    }
  }

  function commandStatus(ev) {
    for (const el of $$(`[data-cmd-status="${CSS.escape(ev.commandId)}"]`)) {
      el.textContent = ev.status;
      el.className = "badge st-" + ev.status;
    }
  }

  function onEvent(ev) {
    if (ev.type === "READY") {
      setLive("live");
      mark("*");  // catch up on anything that happened between page load and now
      return;
    }
    if (scope.scopeExecutor && ev.executorId && ev.executorId !== scope.scopeExecutor) return;
    switch (ev.type) {
      case "TICK": tick(ev); break;
      case "EXECUTOR_STATUS": executorStatus(ev); mark("executors"); break;
      case "COMMAND_STATUS":
        commandStatus(ev);
        if (!scope.scopeCommand || scope.scopeCommand === ev.commandId) mark("commands");
        break;
      case "FILL":
        if (!scope.scopeCommand || scope.scopeCommand === ev.fill.commandId) mark("fills");
        break;
      case "ACCOUNT": mark("account"); break;
      case "POSITIONS": mark("positions"); break;
      default: break;
    }
  }

  let backoff = 500;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/events");
    socket.addEventListener("message", (message) => {
      let ev;
      try { ev = JSON.parse(message.data); } catch (err) { return; }
      onEvent(ev);
    });
    socket.addEventListener("open", () => { backoff = 500; });
    socket.addEventListener("close", (event) => {
      if (event.code === 4001) { setLive("expired"); return; }  // logged out: stop trying
      setLive("offline");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }
  connect();
})();
