/* The payment page (pay.html). Stripe.js collects the card and turns it into a reference at
   Stripe (a PaymentMethod); this sends only that reference to the service, which confirms the payment with
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

  // A PaymentMethod (pm_...) with Stripe.js; a card token (tok_...) where the Stripe.js in
  // use cannot make PaymentMethods (localstripe's test double). Either is only a reference.
  function cardReference() {
    var made = stripe.createPaymentMethod ? stripe.createPaymentMethod({ type: "card", card: card }) : null;
    return Promise.resolve(made).then(function (result) {
      if (result && result.paymentMethod) return result.paymentMethod.id;
      if (result && result.error) return null;
      return stripe.createToken(card).then(function (answer) {
        return answer && answer.token && !answer.error ? answer.token.id : null;
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return; // a double click sends one token, once
    busy = true;
    button.disabled = true;
    show("");
    cardReference()
      .then(function (reference) {
        if (!reference) return again();
        document.getElementById("card-token").value = reference;
        form.submit();
      }, again);
  });
})();
