// Cart choices: when a quantity or an offer changes, send the form's Update button, so
// the page shows the server's new figures at once. No pricing happens in the browser;
// without JavaScript the customer presses Update and gets the same page.
"use strict";
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !/^(qty|opt)_\d+$/.test(input.name)) {
    return;
  }
  const form = document.getElementById("checkout-form");
  const update = document.querySelector('button[name="action"][value="update"]');
  if (form && update && input.checkValidity()) {
    form.requestSubmit(update);
  }
});
