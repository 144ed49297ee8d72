// Hands a file made in the kernel to the participant's browser as a download.
// The file goes from the kernel's memory to this browser only; nothing is stored on the server.
function render({ model, el }) {
  el.classList.add("hs-downloader");
  model.on("msg:custom", (msg) => {
    if (!msg || msg.type !== "download" || typeof msg.content !== "string") return;
    const name = String(msg.filename || "take-home.html").replace(/[^\w.-]+/g, "-");
    // only the types the kit sends: a take-home page or a CSV export
    const type = msg.mime === "text/csv" ? "text/csv;charset=utf-8" : "text/html;charset=utf-8";
    const blob = new Blob([msg.content], { type });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  });
}

export default { render };
