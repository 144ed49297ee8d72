// Gives ipywidgets' sliders what a screen reader needs. ipywidgets draws a slider with
// noUiSlider: its handle (role="slider") has no name, and its aria-valuetext is the option's
// index ("3"), not what the participant sees ("1 hour"). This names each handle after the
// slider's label and says the shown value, and keeps both up to date as the slider moves.
function labelSliders(root) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const label = slider.querySelector(".widget-label");
    const readout = slider.querySelector(".widget-readout");
    const name = label ? label.textContent.trim() : "";
    const shown = readout ? readout.textContent.trim() : "";
    for (const handle of slider.querySelectorAll(".noUi-handle")) {
      if (name && handle.getAttribute("aria-label") !== name) handle.setAttribute("aria-label", name);
      if (shown && handle.getAttribute("aria-valuetext") !== shown) handle.setAttribute("aria-valuetext", shown);
    }
  }
}

function render({ el }) {
  el.classList.add("hs-slider-names");
  const root = document.body;
  labelSliders(root);
  const observer = new MutationObserver(() => labelSliders(root));
  observer.observe(root, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["aria-valuetext", "aria-label"],
  });
  return () => observer.disconnect();
}

export default { render };
