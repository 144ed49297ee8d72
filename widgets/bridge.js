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

function render({ model, el }) {
  el.classList.add("hs-bridge");
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
}

export default { render };
