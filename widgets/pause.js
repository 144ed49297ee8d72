// A guided pause with a visible timer that the participant can start and stop.
// The timer runs in the browser: no kernel traffic while it counts.
function render({ model, el }) {
  el.classList.add("hs-pause-timer");
  const step = document.createElement("p");
  step.className = "hs-pause-step";
  step.setAttribute("aria-live", "polite");
  const visual = document.createElement("div");
  visual.className = "hs-pause-visual";
  visual.setAttribute("aria-hidden", "true");
  const circle = document.createElement("div");
  circle.className = "hs-pause-circle";
  const count = document.createElement("div");
  count.className = "hs-pause-count";
  visual.append(circle, count);
  const bar = document.createElement("div");
  bar.className = "hs-pause-bar";
  const fill = document.createElement("div");
  fill.className = "hs-pause-fill";
  bar.append(fill);
  const button = document.createElement("button");
  button.className = "jupyter-button hs-pause-button mod-primary";
  button.type = "button";
  el.append(step, visual, bar, button);

  const steps = () => model.get("steps") || [];
  const total = () => steps().reduce((sum, s) => sum + (s.seconds || 0), 0);
  let timer = null;
  let index = 0;
  let left = 0;
  let elapsed = 0;

  function show() {
    const s = steps()[index];
    if (!s) return;
    step.textContent = s.text;
    count.textContent = String(left);
    fill.style.width = `${Math.round((100 * elapsed) / Math.max(total(), 1))}%`;
    const scale = s.breath === "in" ? 1.6 : s.breath === "out" ? 0.8 : 1.2;
    circle.style.transitionDuration = `${s.seconds}s`;
    circle.style.transform = `scale(${scale})`;
  }

  function idle(text) {
    step.textContent = text;
    count.textContent = "";
    circle.style.transitionDuration = "0.6s";
    circle.style.transform = "scale(1)";
  }

  function stop(finished) {
    if (timer) clearInterval(timer);
    timer = null;
    el.classList.remove("hs-pause-running");
    button.textContent = finished ? model.get("again_label") : model.get("start_label");
    idle(finished ? model.get("done_text") : model.get("ready_text"));
    if (finished) {
      fill.style.width = "100%";
      model.set("completed", model.get("completed") + 1);
      model.save_changes();
    } else {
      fill.style.width = "0%";
    }
  }

  function start() {
    index = 0;
    elapsed = 0;
    left = steps()[0] ? steps()[0].seconds : 0;
    el.classList.add("hs-pause-running");
    button.textContent = model.get("stop_label");
    show();
    timer = setInterval(() => {
      left -= 1;
      elapsed += 1;
      if (left <= 0) {
        index += 1;
        if (index >= steps().length) return stop(true);
        left = steps()[index].seconds;
      }
      show();
    }, 1000);
  }

  button.addEventListener("click", () => (timer ? stop(false) : start()));
  button.textContent = model.get("start_label");
  idle(model.get("ready_text"));
  return () => timer && clearInterval(timer);
}

export default { render };
