/* The checkout page's progressive enhancement. The page works without it:
   this only collapses the summary on phones, moves focus to the error
   summary, takes out a seller's image that fails to load, hides the delivery
   address while "Deliver to my billing address" is ticked, redraws the address
   fields at once when a country changes, and the tax and totals when the
   country, region or VAT number changes (without JavaScript the "update"
   button does both with a round trip). */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var wide = window.matchMedia("(min-width: 60rem)");

  function summaryFits() {
    var summary = document.getElementById("summary");
    if (summary && wide.matches) summary.open = true;
  }

  // An image of the seller's that does not load (a moved logo, a product picture
  // gone) is taken out rather than shown as a broken picture: the seller's name
  // stands beside the logo anyway, and a line reads the same without its thumbnail.
  function dropBroken(img) {
    if (img.parentNode) img.parentNode.removeChild(img);
  }

  // Load errors do not bubble: caught on the way down, for images swapped in later too.
  document.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("img.logo, img.thumb")) dropBroken(target);
  }, true);

  function dropAlreadyBroken() {
    var images = document.querySelectorAll("img.logo, img.thumb");
    for (var i = 0; i < images.length; i++) {
      if (images[i].complete && images[i].naturalWidth === 0) dropBroken(images[i]);
    }
  }

  function start() {
    dropAlreadyBroken();
    var summary = document.getElementById("summary");
    if (summary) {
      // A cart with choices stays open: its quantities and offers are what the
      // customer came to change.
      if (!wide.matches && !summary.hasAttribute("data-choices")) summary.open = false;
      summary.querySelector("summary").addEventListener("click", function (event) {
        if (wide.matches) event.preventDefault();
      });
      if (wide.addEventListener) wide.addEventListener("change", summaryFits);
    }

    var errors = document.getElementById("error-summary");
    if (errors) errors.focus();
    // Delegated: an error summary drawn in place later (static/choices.js) links the same way.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("#error-summary a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      if (target.tagName === "DETAILS") target.open = true;
      target.scrollIntoView({ block: "center" });
      (target.matches("input, select") ? target : target.querySelector("summary") || target).focus();
    });

    // The delivery fields hide while "Deliver to my billing address" is ticked (without
    // JavaScript they stay, with a hint that they count only when it is not).
    function deliveryFits() {
      var same = document.getElementById("f-delivery_same_as_billing");
      var fields = document.getElementById("delivery-fields");
      if (same && fields) fields.hidden = same.checked;
    }
    deliveryFits();
    document.addEventListener("change", function (event) {
      if (event.target.id === "f-delivery_same_as_billing") deliveryFits();
    });

    var form = document.getElementById("checkout-form");
    if (!form || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
    // The country, region and VAT number decide the tax: the server re-computes it.
    var TAXED = { "f-country": true, "f-region": true, "f-tax_id": true };
    // What a tax change redraws (the cart page has them only when the seller taxes).
    var FIGURES = ["#tax", ".summary-total", ".total dd", "#commit"];
    form.addEventListener("change", function (event) {
      var id = event.target.id;
      var redraw = id === "f-country" ? "address" : id === "f-delivery_country" ? "delivery" : null;
      if (!redraw && (!TAXED[id] || !document.getElementById("tax"))) return;
      var data = new URLSearchParams(new FormData(form));
      data.set("action", "update");
      // Not form.action: the buttons named "action" shadow that property.
      fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        if (redraw) {
          // That country's address fields (the billing or the delivery address's).
          var fresh = page.getElementById(redraw);
          var old = document.getElementById(redraw);
          if (!fresh || !old) throw new Error("no address fields");
          old.replaceWith(document.importNode(fresh, true));
          deliveryFits();
          var country = document.getElementById(id);
          if (country) country.focus();
        }
        // Contents only: the elements (and the focus, the scroll) stay where they are.
        FIGURES.forEach(function (selector) {
          var now = document.querySelector(selector), next = page.querySelector(selector);
          if (now && next) now.innerHTML = next.innerHTML;
        });
      }).catch(function () {
        var update = form.querySelector("button[value='update']");
        if (update) form.requestSubmit ? form.requestSubmit(update) : update.click();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
