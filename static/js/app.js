// Small behaviours on top of plain forms; every page works without this file.
(function () {
  "use strict";

  // Move focus to an error summary so keyboard and screen-reader users hear it: on a page
  // rendered after a refused plain POST, and on a summary swapped in by htmx.
  function focusSummary() {
    var summary = document.querySelector("[data-focus-on-swap]");
    if (summary) { summary.focus(); summary.removeAttribute("data-focus-on-swap"); }
    return Boolean(summary);
  }
  document.addEventListener("htmx:after:swap", focusSummary);

  // Every htmx request carries the page's CSRF token (templates/base.html's meta element;
  // drafts.js renews it there).
  document.addEventListener("htmx:config:request", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) { event.detail.ctx.request.headers["X-CSRFToken"] = token.getAttribute("content"); }
  });

  // On a page rendered by a plain POST: the summary, else the field the URL names (the row
  // just added), else the first field in error, so nobody starts again from the top.
  document.addEventListener("DOMContentLoaded", function () {
    if (focusSummary()) { return; }
    // A row button answers with a redirect to the row's first field (#f-…).
    var named = window.location.hash.indexOf("#f-") === 0 &&
      document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    var field = named || document.querySelector('form:not(#plan-form) [aria-invalid="true"]');
    if (field) { field.focus(); }
  });

  // The plan form: the htmx autosave and the plain buttons (save, submit, rows, adopt)
  // carry one version number. Keep them in step, or a person's own autosave comes back
  // as a conflict "updated by someone else".
  function isPlanForm(element) { return Boolean(element && element.id === "plan-form"); }

  function currentVersion(form) {
    var input = form.querySelector('input[name="version"]');
    return input ? input.value : "";
  }

  document.addEventListener("htmx:before:request", function (event) {
    var form = event.target;
    var ctx = event.detail && event.detail.ctx;
    if (!isPlanForm(form) || !ctx) { return; }
    if (form.hasAttribute("data-submitting")) {
      // A plain submit is replacing the page; a late autosave would only race it.
      event.preventDefault();
      return;
    }
    // htmx builds a queued request's body when it is triggered; by the time it is sent
    // the previous autosave has answered with a newer version of this same draft.
    var body = ctx.request && ctx.request.body;
    if (body && typeof body.set === "function") { body.set("version", currentVersion(form)); }
    ctx.planAutosave = true;
    form.autosavesInFlight = (form.autosavesInFlight || 0) + 1;
  });

  document.addEventListener("htmx:finally:request", function (event) {
    var form = event.target;
    var ctx = event.detail && event.detail.ctx;
    if (isPlanForm(form) && ctx && ctx.planAutosave) {
      form.autosavesInFlight = Math.max((form.autosavesInFlight || 1) - 1, 0);
    }
  });

  // A destructive button asks first (without JavaScript it acts at once; the row's
  // content was autosaved only as part of the draft).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (!question || button.confirmed) { return; }
    if (window.confirm(question)) {
      button.confirmed = true;  // a deferred re-submit below does not ask again
      window.setTimeout(function () { button.confirmed = false; }, 0);
    } else {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!isPlanForm(form) || event.defaultPrevented) { return; }
    if (form.autosavesInFlight && form.requestSubmit) {
      // Submit once the autosave has answered, with the version it returns.
      event.preventDefault();
      var submitter = event.submitter;
      form.addEventListener("htmx:finally:request", function () {
        // After htmx has finished this request (and started any queued one).
        window.setTimeout(function () { form.requestSubmit(submitter); }, 0);
      }, { once: true });
      return;
    }
    form.setAttribute("data-submitting", "");
  });

  // Coming back through the browser's history: the page is live again.
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("plan-form");
    if (form) { form.removeAttribute("data-submitting"); }
  });
})();
