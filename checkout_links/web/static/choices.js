// Cart choices, updated in place. When a quantity or an offer changes, or Update or Apply
// is pressed, the form is sent with that action (the server prices it; nothing is priced
// here) and the order summary, the total and the order button are swapped for the
// server's, keeping the focused field, the scroll position and the summary's open state;
// the new total is read out politely. Without JavaScript (or if the request fails) the
// buttons send the form and the page comes back with the same figures.
"use strict";
(() => {
  const form = document.getElementById("checkout-form");
  if (!form || !window.fetch || !window.DOMParser) return;
  const CHOICE = /^(qty|opt)_\d+$/;
  // Changes close together make one request (a spinner held down, several boxes ticked):
  // ordinary use stays far below the page's 30 sends a minute.
  const WAIT_MS = 450;
  let timer = 0;
  let busy = false;
  let again = null;

  function swap(html) {
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const details = document.getElementById("summary");
    const newDetails = fresh.getElementById("summary");
    if (!details || !newDetails) throw new Error("no summary");
    const active = document.activeElement;
    const focusId = active && details.contains(active) ? active.id : "";
    // A field typed into while the request was out keeps what is in it now.
    const typed = focusId && "value" in active ? active.value : null;
    const y = window.scrollY;
    const nodes = Array.from(newDetails.childNodes);
    details.replaceChildren(...nodes.map((n) => document.importNode(n, true)));
    for (const selector of ["dl.total", "button.primary"]) {
      const old = document.querySelector(selector);
      const now = fresh.querySelector(selector);
      if (old && now) old.replaceWith(document.importNode(now, true));
    }
    const oldErrors = document.getElementById("error-summary");
    const newErrors = fresh.getElementById("error-summary");
    if (oldErrors && newErrors) oldErrors.replaceWith(document.importNode(newErrors, true));
    else if (oldErrors) oldErrors.remove();
    else if (newErrors) {
      newErrors.removeAttribute("autofocus");
      form.querySelector("input[name='csrf_token']").before(document.importNode(newErrors, true));
    }
    if (focusId) {
      const target = document.getElementById(focusId);
      if (target) {
        if (typed !== null && target.value !== typed) target.value = typed;
        target.focus({ preventScroll: true });
      }
    }
    window.scrollTo(window.scrollX, y);
    const status = document.getElementById("total-status");
    const said = fresh.getElementById("total-status");
    if (status && said) {
      // Emptied first, so the same total said twice is still read out.
      status.textContent = "";
      window.setTimeout(() => { status.textContent = said.dataset.said; }, 50);
    }
  }

  function fallback(action) {
    const button = document.querySelector(`button[name="action"][value="${action}"]`);
    if (button) form.requestSubmit(button);
  }

  function send(action) {
    if (busy) {
      again = action;
      return;
    }
    busy = true;
    const data = new URLSearchParams(new FormData(form));
    data.set("action", action);
    document.getElementById("summary")?.setAttribute("aria-busy", "true");
    // Not form.action: the buttons named "action" shadow that property.
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    })
      .then((response) => {
        // 422: a choice the offer does not allow; the page says which, beside the field.
        if (!response.ok && response.status !== 422) throw new Error(String(response.status));
        return response.text();
      })
      .then(swap)
      .then(() => {
        busy = false;
        document.getElementById("summary")?.removeAttribute("aria-busy");
        if (again) {
          const next = again;
          again = null;
          send(next);
        }
      })
      .catch(() => {
        busy = false;
        fallback(action);
      });
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    // Sent even when out of bounds: the server's answer says why, beside the field.
    if (!(input instanceof HTMLInputElement) || !CHOICE.test(input.name)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => send("update"), WAIT_MS);
  });

  form.addEventListener("submit", (event) => {
    const action = event.submitter && event.submitter.value;
    if (action !== "update" && action !== "apply") return;
    // The country's Update button redraws the address (checkout.js); these two price.
    if (event.submitter.classList.contains("update")) return;
    event.preventDefault();
    window.clearTimeout(timer);
    send(action);
  });
})();
