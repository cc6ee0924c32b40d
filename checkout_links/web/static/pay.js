/* The payment page (pay.html). Stripe.js collects the card and turns it into a token at
   Stripe; this sends only that token to the service, which confirms the payment with
   Stripe server-side. When the bank asks for 3-D Secure, the page comes back with the
   payment's client secret: Stripe.js runs the bank's step, then the page reloads and the
   service reads the outcome from Stripe (never from the browser). */
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) return;
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("card-error");

  function show(message) {
    errorBox.textContent = message || "";
  }

  if (typeof window.Stripe !== "function") {
    show(form.getAttribute("data-unavailable"));
    button.disabled = true;
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-key"));

  var secret = form.getAttribute("data-authenticate");
  if (secret) {
    var back = function () { window.location.assign(form.getAttribute("data-return")); };
    button.disabled = true;
    stripe.confirmCardPayment(secret).then(back, back);
    return;
  }

  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  var busy = false;

  function again() {
    busy = false;
    button.disabled = false;
    show(form.getAttribute("data-card-problem"));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return; // a double click sends one token, once
    busy = true;
    button.disabled = true;
    show("");
    Promise.resolve()
      .then(function () { return stripe.createToken(card); })
      .then(function (result) {
        if (!result || result.error || !result.token) return again();
        document.getElementById("card-token").value = result.token.id;
        form.submit();
      }, again);
  });
})();
