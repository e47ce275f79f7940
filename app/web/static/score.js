// The scoring page: keyboard scoring, evidence notes stamped with the player's time,
// the harm note that a flag requires, and the review before submitting.
"use strict";
(() => {
  const form = document.getElementById("rating-form");
  if (!form) return;
  const items = Array.from(form.querySelectorAll("fieldset.item"));
  const player = document.getElementById("player");

  const clock = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
  };

  const itemOf = (element) => element && element.closest ? element.closest("fieldset.item") : null;
  const setActive = (item) => {
    items.forEach((i) => i.classList.toggle("active", i === item));
  };
  const focusItem = (item) => {
    if (!item) return;
    const target = item.querySelector("input[type=radio]:checked") || item.querySelector("input[type=radio]");
    target.focus();
    item.scrollIntoView({ block: "nearest", behavior: "smooth" });
    setActive(item);
  };
  const move = (item, step) => {
    const index = items.indexOf(item) + step;
    if (index >= 0 && index < items.length) focusItem(items[index]);
  };
  const choose = (item, value) => {
    const radio = item.querySelector(`input[type=radio][value="${value}"]`);
    if (!radio) return false;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  };

  form.addEventListener("focusin", (event) => setActive(itemOf(event.target)));

  const addEvidence = (key) => {
    const box = form.querySelector(`[data-evidence="${key}"]`);
    const n = box.children.length + 1;
    const row = document.createElement("div");
    row.className = "evidence-row";
    const time = document.createElement("input");
    time.type = "text"; time.name = `evt-${key}`; time.className = "evt"; time.id = `evt-${key}-new${n}`;
    time.value = player ? clock(player.currentTime) : "";
    time.placeholder = "m:ss";
    time.required = true;
    time.pattern = "^(\\d+:)?\\d{1,2}:\\d{2}$|^\\d+$";
    time.setAttribute("aria-label", "Time in the recording (m:ss)");
    const note = document.createElement("input");
    note.type = "text"; note.name = `evn-${key}`; note.id = `evn-${key}-new${n}`;
    note.setAttribute("aria-label", "Evidence note");
    note.placeholder = "What you observed at this moment";
    row.append(time, note);
    box.append(row);
    (player ? note : time).focus();
  };

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button.add-evidence");
    if (button) addEvidence(button.dataset.for);
  });

  form.addEventListener("change", (event) => {
    if (event.target.classList.contains("harm-toggle")) {
      const note = itemOf(event.target).querySelector(".harm-note");
      note.hidden = !event.target.checked;
      if (event.target.checked) note.querySelector("textarea").focus();
    }
  });

  form.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text");
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const item = itemOf(target);
    if (!item) return;
    if (/^[0-9]$/.test(event.key) && choose(item, event.key)) {
      event.preventDefault();
      move(item, 1);
    } else if (event.key === "n" && item.dataset.na === "yes" && choose(item, "na")) {
      event.preventDefault();
      move(item, 1);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(item, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "t") {
      event.preventDefault();
      addEvidence(item.dataset.item);
    }
  });

  // Review before submitting: list what is still missing.
  const dialog = document.getElementById("submit-dialog");
  const missingBox = document.getElementById("missing-list");
  const confirmButton = document.getElementById("confirm-submit");
  const missing = () => (form.dataset.required || "").split(" ").filter((key) => key &&
    !form.querySelector(`input[name="score-${key}"]:checked`));
  document.getElementById("open-submit").addEventListener("click", () => {
    const keys = missing();
    missingBox.replaceChildren();
    if (keys.length) {
      const p = document.createElement("p");
      p.className = "message error";
      p.textContent = `${keys.length} required item${keys.length === 1 ? " is" : "s are"} not scored yet:`;
      const list = document.createElement("ul");
      list.className = "missing";
      keys.forEach((key) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = `#item-${key}`;
        a.textContent = key;
        a.addEventListener("click", () => { dialog.close(); focusItem(document.getElementById(`item-${key}`)); });
        li.append(a);
        list.append(li);
      });
      missingBox.append(p, list);
    } else {
      const p = document.createElement("p");
      p.className = "message ok";
      p.textContent = "Every required item is scored.";
      missingBox.append(p);
    }
    confirmButton.disabled = keys.length > 0;
    dialog.showModal();
  });
  document.getElementById("cancel-submit").addEventListener("click", () => dialog.close());
})();
