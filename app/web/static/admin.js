// The admin pages: ticking sessions for a bulk action, confirming the action a button
// takes, and copying a one-time invitation link. No inline script: the CSP forbids it.
"use strict";
(() => {
  const bulk = document.getElementById("bulk");
  const all = document.getElementById("pick-all");
  const count = document.getElementById("picked-count");
  const boxes = () => Array.from(document.querySelectorAll('input[type=checkbox][form="bulk"]'));

  const update = () => {
    const ticked = boxes().filter((b) => b.checked).length;
    if (count) count.textContent = ticked ? `(${ticked} ticked)` : "(none ticked)";
    if (all) {
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
  };
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.form === bulk) update();
  });
  // A redrawn row (htmx) brings a fresh, unticked box.
  document.addEventListener("htmx:afterSwap", update);
  if (bulk) update();

  // A button may ask before it acts: <button formaction="..." data-confirm="Release...?">
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button instanceof HTMLElement && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!(field instanceof HTMLInputElement)) return;
    field.select();
    const done = () => { button.textContent = "Copied"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
