/* The idle warning: before the server's idle timeout signs the user out, an alertdialog
   offers 「繼續使用」, which renews the session with a CSRF-protected POST. Every request
   the page makes (htmx, autosave) also renews it on the server, so the timer restarts.
   Just before showing the warning, "session:expiring" is dispatched on the document so an
   autosave can keep what was typed. Without JavaScript the server's timeout still applies. */
(function () {
  "use strict";

  function init() {
    var dialog = document.getElementById("session-warning");
    if (!dialog) return;
    var idle = parseInt(dialog.dataset.idleSeconds, 10) * 1000;
    var ahead = parseInt(dialog.dataset.warningSeconds, 10) * 1000;
    var button = dialog.querySelector("[data-session-extend]");
    var status = dialog.querySelector(".session-warning-status");
    var warnTimer = null;
    var endTimer = null;
    var returnFocus = null;

    function schedule() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(warn, Math.max(idle - ahead, 0));
      endTimer = window.setTimeout(expired, idle);
    }

    function warn() {
      document.dispatchEvent(new CustomEvent("session:expiring"));
      returnFocus = document.activeElement;
      status.textContent = "";
      button.disabled = false;
      dialog.hidden = false;
      button.focus();
    }

    function close() {
      dialog.hidden = true;
      if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
      returnFocus = null;
    }

    function expired() {
      window.clearTimeout(warnTimer);
      document.dispatchEvent(new CustomEvent("session:expiring"));
      dialog.hidden = false;
      button.disabled = true;
      status.textContent = dialog.dataset.expiredText;
      var link = document.createElement("a");
      link.href = dialog.dataset.loginUrl;
      link.textContent = dialog.dataset.loginText;
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }

    function extend() {
      button.disabled = true;
      status.textContent = dialog.dataset.busyText;
      fetch(dialog.dataset.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": dialog.dataset.csrf, Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error("expired");
          schedule();
          close();
        })
        .catch(function () {
          expired();
        });
    }

    button.addEventListener("click", extend);
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !button.disabled) {
        event.preventDefault();
        extend();
      }
    });
    // Any request the page made reached the server and renewed the session there.
    document.addEventListener("htmx:after:request", function () {
      if (dialog.hidden) schedule();
    });
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
