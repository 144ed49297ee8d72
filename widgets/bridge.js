// The participant's browser side of Holding Space.
// It keeps a random anonymous id and the participant's own answers in this browser's
// localStorage (never on the server), hands them back to a new kernel after a reload, and
// moves the view to the top of a new theme with the keyboard focus on its heading.
const PREFIX = "holding-space:";

function storage() {
  try {
    const s = window.localStorage;
    s.setItem(PREFIX + "probe", "1");
    s.removeItem(PREFIX + "probe");
    return s;
  } catch (e) {
    return null; // private mode or storage switched off: the app still works, without resume
  }
}

function newId() {
  // crypto.randomUUID needs a secure context; the room's network is plain http
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function focusPage(page, tries) {
  const heading = document.querySelector(`[data-hs-page="${page}"]`);
  if (heading) {
    // Voila scrolls #rendered_cells, not the window
    for (const scroller of [document.getElementById("rendered_cells"), document.scrollingElement]) {
      if (scroller) scroller.scrollTop = 0;
    }
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  } else if (tries > 0) {
    setTimeout(() => focusPage(page, tries - 1), 30);
  }
}

// Said by the browser itself when its line to the kernel breaks (the kernel cannot say it then):
// the words come from workshop/content/ui.yaml with the bridge, before anything can break.
function watchConnection(model) {
  if (window.__hsWatching) return null; // one watcher per page, however often the bridge is drawn
  window.__hsWatching = true;
  const text = (key) => (model.get("texts") || {})[key] || "";
  const manager = model.widget_manager;
  const kernel = manager && manager.kernel;
  let state = "ok";
  let banner = null;
  let hideTimer = null;
  let checkTimer = null;

  const show = (next) => {
    if (state === "reopening" || next === state) return; // the page is reloading already
    if (state === "lost" && next !== "reopening") return; // only a reload mends a lost kernel
    if (next === "back" && state === "ok") return;
    state = next;
    clearTimeout(hideTimer);
    clearInterval(checkTimer);
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "hs-connection";
      banner.style.cssText =
        "position:fixed;top:0;left:0;right:0;z-index:10000;margin:0;padding:0.75rem 1rem;" +
        "font:inherit;font-size:1rem;line-height:1.5;background:#fff4d6;color:#1f2d33;" +
        "border-bottom:2px solid #8a5a00;box-shadow:0 2px 6px rgba(0,0,0,0.15)";
      document.body.appendChild(banner);
    }
    banner.replaceChildren();
    banner.dataset.state = next;
    banner.setAttribute("role", next === "back" || next === "reopening" ? "status" : "alert");
    const p = document.createElement("p");
    p.style.margin = "0";
    p.textContent = text("connection_" + (next === "offline" ? "offline" : next));
    banner.appendChild(p);
    banner.hidden = false;
    if (next === "lost") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "hs-reload";
      button.textContent = text("connection_reload");
      button.style.cssText =
        "margin-top:0.5rem;min-height:44px;padding:0.5rem 1rem;font:inherit;font-weight:600;" +
        "background:#1f5f6b;color:#fff;border:0;border-radius:8px;cursor:pointer";
      button.addEventListener("click", () => window.location.reload());
      banner.appendChild(button);
      button.focus();
    } else if (next === "back") {
      hideTimer = setTimeout(() => {
        banner.hidden = true;
        state = "ok";
      }, 6000);
    } else if (next === "offline" && kernel) {
      checkTimer = setInterval(check, 4000);
    }
  };

  // While the line is down and the network is up, ask the server whether this page's kernel
  // still exists: after a server restart it does not, and only a reload helps.
  const check = async () => {
    if (!navigator.onLine || kernel.connectionStatus === "connected") return;
    let response;
    try {
      const url = new URL("api/kernels/" + encodeURIComponent(kernel.id), kernel.serverSettings.baseUrl);
      const token = new URLSearchParams(window.location.search).get("token");
      if (token) url.searchParams.set("token", token);
      response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    } catch (e) {
      return; // still no way through
    }
    if (response.status === 404 || response.status === 403) show("lost");
    else if (response.ok) kernel.reconnect().catch(() => {});
  };

  if (kernel) {
    kernel.statusChanged.connect((_k, status) => {
      if (status === "restarting" || status === "autorestarting" || status === "dead") show("lost");
    });
    kernel.connectionStatusChanged.connect((_k, status) => {
      if (status === "connected") show(navigator.onLine ? "back" : "offline");
      else if (status === "disconnected") show(navigator.onLine ? "lost" : "offline");
      else show("offline");
    });
  }
  window.addEventListener("offline", () => show("offline"));
  window.addEventListener("online", () => {
    if (!kernel || kernel.connectionStatus === "connected") show("back");
    else kernel.reconnect().catch(() => {}); // now, not at the end of a long back-off
  });
  return show;
}

function xsrfForm(fields) {
  // the _xsrf cookie's value as a form field, as Voila's own shutdown beacon sends it
  const form = new FormData();
  const match = document.cookie.match("\\b_xsrf=([^;]*)\\b");
  form.append("_xsrf", (match && match[1]) || "");
  for (const [name, value] of Object.entries(fields || {})) form.append(name, value);
  return form;
}

// A phone rarely fires beforeunload (a tab swiped away, a browser killed), so Voila's beacon
// never went and the kernel lived until the 15-minute cull. Phones do fire pagehide, and
// visibilitychange when the page is hidden: the first frees the kernel at once; the second tells
// the server the page is away, and the server frees a kernel away and without a connection for a
// minute. A participant who comes back after that gets their page reloaded, with their answers.
function watchLifecycle(model, show) {
  if (window.__hsLifecycle) return; // once per page, like the connection watcher
  window.__hsLifecycle = true;
  const manager = model.widget_manager;
  const kernel = manager && manager.kernel;
  if (!kernel || !kernel.serverSettings) return;
  const base = kernel.serverSettings.baseUrl;
  const awayUrl = () => `${base}holding-space/away/${encodeURIComponent(kernel.id)}`;
  let closed = false; // the shutdown beacon went (Voila's on beforeunload, or ours): once per page
  let away = false;
  let asking = false;

  const beacon = (url, fields) => {
    try {
      return navigator.sendBeacon(url, xsrfForm(fields));
    } catch (e) {
      return false; // no beacons here: the culler frees the kernel, as before
    }
  };

  // Voila's own listener (registered before this one) has sent its beacon when this runs
  window.addEventListener("beforeunload", () => {
    closed = true;
  });
  window.addEventListener("pagehide", (event) => {
    if (event.persisted || closed) return; // kept in the back-forward cache: it may come back
    closed = true;
    beacon(`${base}voila/api/shutdown/${kernel.id}`);
  });

  let retry = null;
  const cameBack = async (tries = 0) => {
    clearTimeout(retry);
    if (asking || closed || !away || document.visibilityState !== "visible") return;
    asking = true;
    away = false; // hidden again while this is asked: away again, whatever the answer
    let response;
    try {
      const url = new URL(awayUrl());
      const token = new URLSearchParams(window.location.search).get("token");
      if (token) url.searchParams.set("token", token);
      response = await fetch(url, {
        method: "POST",
        body: xsrfForm({ state: "back" }),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (e) {
      // no way through yet (a phone's network comes back a moment after its screen): ask again
      // soon, and at once when the browser says it is online
      away = true;
      if (tries < 20) retry = setTimeout(() => cameBack(tries + 1), 3000);
      return;
    } finally {
      asking = false;
    }
    if (response.status === 404) {
      // freed while the phone was away: a new page brings a new kernel and resumes the answers
      closed = true; // nothing left for a beacon to shut down
      if (show) show("reopening");
      setTimeout(() => window.location.reload(), 400); // long enough for the words to be drawn
    } else if (response.ok && kernel.connectionStatus !== "connected") {
      kernel.reconnect().catch(() => {});
    }
  };

  document.addEventListener("visibilitychange", () => {
    if (closed) return;
    if (document.visibilityState === "hidden") {
      away = true;
      beacon(awayUrl(), { state: "away" });
    } else if (document.visibilityState === "visible") {
      cameBack();
    }
  });
  window.addEventListener("online", () => cameBack());
}

// ipywidgets draws a widget's Layout and Style as views of their own, children of the widget's view,
// and leaves them behind when that view is removed: each stays listening to its model. The kit's
// widgets share a few Layout and Style models (widgets/looks.py), so every theme shown again left
// hundreds of such views on those models, and each move was slower than the one before (57 ms at
// first, 118 ms after 80 moves). Here each Layout or Style view goes when the view it belongs to goes
// (through the page's widget manager's public create_view): moves stay at their first cost. (The
// page still keeps about 390 DOM nodes a move, with or without this, as before issue 15.) Views drawn
// before the bridge are left as before: one page's worth, once.
const LOOKS = /^(LayoutModel|\w*StyleModel)$/;

function releaseLooksWithTheirView(manager) {
  if (!manager || manager.__hsReleasesLooks || typeof manager.create_view !== "function") return;
  manager.__hsReleasesLooks = true;
  const looks = new Set(); // the Layout and Style models drawn since, for the count below
  // how many views ipywidgets keeps of those models (its own record, model.views): tests read it
  window.__hsLookViews = () => [...looks].reduce((n, m) => n + Object.keys(m.views || {}).length, 0);
  const create = manager.create_view.bind(manager);
  manager.create_view = (model, options) => {
    const made = create(model, options);
    const parent = options && options.parent;
    const name = model && typeof model.get === "function" ? model.get("_model_name") : "";
    if (parent && typeof parent.once === "function" && LOOKS.test(name || "")) {
      looks.add(model);
      Promise.resolve(made).then(
        (view) => parent.once("remove", () => view && view.remove()),
        () => {},
      );
    }
    return made;
  };
}

function render({ model, el }) {
  el.classList.add("hs-bridge");
  releaseLooksWithTheirView(model.widget_manager);
  const store = storage();
  const key = PREFIX + model.get("namespace");
  let saved = null;
  if (store) {
    // answers from an earlier workshop on this device are forgotten
    for (let i = store.length - 1; i >= 0; i--) {
      const k = store.key(i);
      if (k && k.startsWith(PREFIX) && k !== key) store.removeItem(k);
    }
    try {
      saved = JSON.parse(store.getItem(key) || "null");
    } catch (e) {
      saved = null;
    }
  }
  if (!saved || typeof saved !== "object" || !/^[0-9a-f]{32}$/.test(saved.id || "")) {
    saved = { id: newId(), snapshot: null };
  }
  const write = () => {
    if (!store) return;
    try {
      store.setItem(key, JSON.stringify(saved));
    } catch (e) {
      /* storage full: keep going without resume */
    }
  };
  write();
  model.set("restored", saved.snapshot ? JSON.stringify(saved.snapshot) : "");
  model.set("participant_id", saved.id);
  model.save_changes();
  model.on("change:snapshot", () => {
    try {
      saved.snapshot = JSON.parse(model.get("snapshot"));
    } catch (e) {
      return;
    }
    write();
  });
  model.on("change:page", () => focusPage(model.get("page"), 20));
  watchLifecycle(model, watchConnection(model));
}

export default { render };
