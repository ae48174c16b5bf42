// Tollgate's only script. Every page works without it; it adds copy buttons, <dialog>
// confirmations for dangerous forms and keyboard shortcuts. Texts come from the page (the
// catalog), never from here.

const copyTemplate = document.getElementById("copy-button");
for (const source of document.querySelectorAll("[data-copy]")) {
  if (!copyTemplate) break;
  const button = copyTemplate.content.firstElementChild.cloneNode(true);
  const done = button.dataset.done;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = done;
      setTimeout(() => { button.textContent = label; }, 2000);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });
  source.after(button);
}

// A form marked data-confirm asks first, in a modal dialog that keeps focus inside and closes
// on Escape; without the script the form posts at once, and a form with a `confirmed` field
// gets a confirmation page from the server instead (which posts it with `confirmed=yes`).
const dialog = document.getElementById("confirm-dialog");
if (dialog && typeof dialog.showModal === "function") {
  const message = dialog.querySelector("[data-message]");
  let pending = null;
  dialog.addEventListener("close", () => {
    const form = pending;
    pending = null;
    if (form && dialog.returnValue === "yes") {
      form.dataset.confirmed = "yes";
      // Without the script the server asks on a page of its own; this answers it.
      const field = form.querySelector("input[name=confirmed]");
      if (field) field.value = "yes";
      form.requestSubmit(form.submitter || undefined);
    }
  });
  // A modal dialog makes the page inert, but Tab past its last button would leave for the
  // browser's own controls: keep it going round inside.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const stops = [...dialog.querySelectorAll("button, [href], input, select, textarea")];
    const first = stops[0];
    const last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirmed === "yes") return;
      event.preventDefault();
      pending = form;
      form.submitter = event.submitter;
      message.textContent = form.dataset.confirm;
      dialog.returnValue = "";
      dialog.showModal();
      dialog.querySelector("[value=no]").focus();
    });
  }
}

// Shortcuts: "g" then a link's data-shortcut letter opens it; "/" focuses the page's search.
let leader = false;
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "/") {
    const search = document.querySelector("[data-search]");
    if (search) { event.preventDefault(); search.focus(); }
    return;
  }
  if (leader) {
    leader = false;
    const link = document.querySelector(`a[data-shortcut="${CSS.escape(event.key)}"]`);
    if (link) { event.preventDefault(); link.click(); }
    return;
  }
  if (event.key === "g") leader = true;
});
