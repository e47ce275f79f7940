// Behaviour shared by every page. No inline script anywhere: the CSP forbids it.
"use strict";

// An htmx request that fails shows the server's explanation in the page's message area.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("messages");
  if (!box) return;
  const xhr = event.detail.xhr;
  const type = xhr.getResponseHeader("content-type") || "";
  if (type.startsWith("text/html") && xhr.responseText.length < 2000) {
    box.innerHTML = xhr.responseText;
  } else {
    box.textContent = "The request failed (" + xhr.status + "). Please reload the page.";
  }
});

// Forms that ask before they act: <form data-confirm="Release feedback to the trainee?">
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
