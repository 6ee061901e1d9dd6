// Nothing typed is lost: the plan form's autosave status, problems beside their fields,
// a copy in this browser until the server confirms, an ended session or a stale token
// survived, a warning before leaving with unsaved changes, live character counters.
// Without this file the form still saves by plain POST (and says so).
(function () {
  "use strict";

  var CHANNEL = "plan-session";
  var PREFIX = "plan-draft:";

  // ---- pages around a sign-in ------------------------------------------------------------

  function announceSignedIn() {
    if (!document.querySelector("[data-signed-in]")) { return; }
    try { new BroadcastChannel(CHANNEL).postMessage("signed-in"); } catch (e) { /* old browser */ }
    try { localStorage.setItem("plan-signed-in", String(Date.now())); } catch (e) { /* private mode */ }
  }

  function autoSubmit() {
    var carrier = document.querySelector("form[data-auto-submit]");
    if (!carrier) { return; }
    // Twice at most in a row: if the browser keeps no session, the button remains.
    var tries = 0;
    try { tries = Number(sessionStorage.getItem("plan-resume-tries") || 0); } catch (e) { tries = 0; }
    if (tries >= 2) { return; }
    try { sessionStorage.setItem("plan-resume-tries", String(tries + 1)); } catch (e) { return; }
    carrier.submit();
  }

  // ---- the plan form -----------------------------------------------------------------------

  var form = null;
  var messages = {};
  var edits = 0;          // input/change events so far
  var confirmedEdits = 0; // edits the server has confirmed
  var sessionEnded = false;
  var copyTimer = null;

  function text(key, values) {
    var template = messages[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }

  function statusLine() { return form.querySelector("#autosave-status [role=status]"); }
  function inputValue(name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }
  function setInput(name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (input) { input.value = value; }
  }
  function dirty() { return edits !== confirmedEdits; }

  // -- the copy kept in this browser, per plan and version --------------------------------

  function storageKey(version) { return PREFIX + form.getAttribute("data-draft-key") + ":v" + version; }

  function copies() {
    var found = [];
    var start = PREFIX + form.getAttribute("data-draft-key") + ":v";
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(start) === 0) {
          var entry = JSON.parse(localStorage.getItem(key) || "null");
          if (entry && entry.fields) { entry.key = key; found.push(entry); }
        }
      }
    } catch (e) { return []; }
    return found.sort(function (a, b) { return b.savedAt - a.savedAt; });
  }

  function formFields() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
    });
    return fields;
  }

  function keepCopy(sent) {
    var version = inputValue("version");
    try {
      copies().forEach(function (entry) { if (entry.key !== storageKey(version)) { localStorage.removeItem(entry.key); } });
      localStorage.setItem(storageKey(version), JSON.stringify({
        savedAt: Date.now(), version: Number(version), sent: Boolean(sent), fields: formFields()
      }));
    } catch (e) { /* storage full or disabled: the server copy is all there is */ }
  }

  function dropCopies() {
    try { copies().forEach(function (entry) { localStorage.removeItem(entry.key); }); } catch (e) { /* ignore */ }
  }

  function sameAsForm(fields) {
    var now = formFields().filter(function (pair) { return pair[0] !== "base"; });
    var kept = fields.filter(function (pair) { return pair[0] !== "base" && pair[0] !== "version"; });
    now = now.filter(function (pair) { return pair[0] !== "version"; });
    return JSON.stringify(now) === JSON.stringify(kept);
  }

  function restore(fields) {
    var byName = {};
    fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Object.keys(byName).forEach(function (name) {
      var values = byName[name];
      var controls = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
      if (!controls.length) {
        values.forEach(function (value) {
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = name; hidden.value = value;
          form.appendChild(hidden);
        });
        return;
      }
      for (var i = 0; i < controls.length; i++) {
        var control = controls[i];
        if (control.type === "checkbox" || control.type === "radio") {
          control.checked = values.indexOf(control.value) !== -1;
        } else {
          control.value = values[0];
        }
      }
    });
    // Controls the copy leaves unchecked were unchecked when it was made.
    var boxes = form.querySelectorAll('input[type="checkbox"]');
    for (var j = 0; j < boxes.length; j++) {
      if (!byName[boxes[j].name]) { boxes[j].checked = false; }
    }
  }

  function offerCopy() {
    var entry = copies()[0];
    if (!entry) { return; }
    var version = Number(inputValue("version"));
    if ((entry.sent && version > entry.version) || sameAsForm(entry.fields)) {
      dropCopies();  // the server has it (a plain save went through) or nothing differs
      return;
    }
    var offer = document.createElement("div");
    offer.className = "draft-offer";
    offer.setAttribute("role", "region");
    offer.setAttribute("aria-label", text("copy_title"));
    var when = new Date(entry.savedAt);
    var time = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
    var sentence = document.createElement("p");
    sentence.textContent = text("copy_offer", {time: time});
    var take = document.createElement("button");
    take.type = "button"; take.className = "button primary"; take.textContent = text("copy_restore");
    var drop = document.createElement("button");
    drop.type = "button"; drop.className = "button"; drop.textContent = text("copy_discard");
    offer.appendChild(sentence); offer.appendChild(take); offer.appendChild(drop);
    form.insertBefore(offer, form.querySelector("#autosave-status").nextSibling);
    take.addEventListener("click", function () {
      restore(entry.fields);
      offer.remove();
      edits += 1;
      statusLine().textContent = text("copy_restored");
      triggerAutosave();
    });
    drop.addEventListener("click", function () {
      dropCopies();
      offer.remove();
      statusLine().focus();
    });
  }

  // -- problems beside their fields ---------------------------------------------------------

  function errorId(name) { return "e-" + name.slice(2).split(".").join("-"); }
  function controlId(name) { return "f-" + name.slice(2).split(".").join("-"); }

  function describedBy(element, id, add) {
    var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    ids = ids.filter(function (one) { return one !== id; });
    if (add) { ids.unshift(id); }
    if (ids.length) { element.setAttribute("aria-describedby", ids.join(" ")); }
    else { element.removeAttribute("aria-describedby"); }
  }

  function placeError(name, message) {
    var id = errorId(name);
    var existing = document.getElementById(id);
    if (existing) { existing.textContent = message; return; }
    var note = document.createElement("p");
    note.className = "error"; note.id = id; note.textContent = message;
    var control = document.getElementById(controlId(name));
    var holder = control || form.querySelector('[id^="' + controlId(name) + '-"]');
    var wrapper = holder && holder.closest(".q-cell, .q-rank, .field");
    if (!wrapper) {
      wrapper = document.getElementById("q-" + name.slice(2).split(".")[0]);
      if (!wrapper) { return; }
      var legend = wrapper.querySelector("legend, label");
      var after = legend && legend.nextElementSibling && legend.nextElementSibling.classList.contains("hint")
        ? legend.nextElementSibling : legend;
      wrapper.insertBefore(note, after ? after.nextSibling : wrapper.firstChild);
      describedBy(wrapper, id, true);
    } else if (control) {
      control.parentNode.insertBefore(note, control);
      control.setAttribute("aria-invalid", "true");
      describedBy(control, id, true);
    } else {
      holder.closest("fieldset").appendChild(note);
      var boxes = wrapper.querySelectorAll("input");
      for (var i = 0; i < boxes.length; i++) { boxes[i].setAttribute("aria-invalid", "true"); describedBy(boxes[i], id, true); }
    }
    wrapper.classList.add("has-error");
  }

  function clearError(note) {
    var id = note.id;
    var wrapper = note.closest(".q-cell, .q-rank, .field");
    var described = form.querySelectorAll('[aria-describedby~="' + id + '"]');
    for (var i = 0; i < described.length; i++) {
      described[i].removeAttribute("aria-invalid");
      describedBy(described[i], id, false);
    }
    note.remove();
    if (!wrapper) { return; }
    // Choices marked one by one: unmark those no other error on screen describes.
    var marked = wrapper.querySelectorAll('[aria-invalid="true"]');
    for (var j = 0; j < marked.length; j++) {
      var others = (marked[j].getAttribute("aria-describedby") || "").split(/\s+/).filter(function (one) {
        var other = one && document.getElementById(one);
        return other && other.matches("p.error:not([hidden])");
      });
      if (!others.length) { marked[j].removeAttribute("aria-invalid"); }
    }
    if (!wrapper.querySelector("p.error:not([hidden])")) { wrapper.classList.remove("has-error"); }
  }

  // The server decides every field's problem: errors on screen come back out of band
  // (updated, or emptied and hidden when fixed: removed here with their ARIA state);
  // the list names problems of fields showing none yet (what was just typed).
  function syncErrors(list) {
    var fixed = form.querySelectorAll('p.error[id^="e-"][hidden]');
    for (var j = 0; j < fixed.length; j++) { clearError(fixed[j]); }
    var items = list ? list.querySelectorAll("[data-for]") : [];
    for (var k = 0; k < items.length; k++) { placeError(items[k].getAttribute("data-for"), items[k].textContent); }
    // The summary above the form goes too once every line it lists is fixed (a summary
    // without lines, such as a conflict's, stays).
    var summary = document.getElementById("plan-problem");
    var lines = summary ? summary.querySelectorAll("li") : [];
    if (lines.length && !summary.querySelector("li:not([hidden])")) { summary.hidden = true; }
  }

  function shownErrors() {
    var ids = [];
    var shown = form.querySelectorAll('p.error[id^="e-"]:not([hidden])');
    for (var i = 0; i < shown.length; i++) { ids.push(shown[i].id); }
    return ids;
  }

  // -- an ended session, a stale token, no network ---------------------------------------

  function notice() { return form.querySelector("#session-notice"); }

  function showNotice(sentence, offerSignIn) {
    var box = notice();
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = sentence;
    box.appendChild(p);
    if (offerSignIn) {
      var signIn = document.createElement("button");
      signIn.type = "button"; signIn.className = "button primary"; signIn.textContent = text("sign_in");
      signIn.addEventListener("click", function () {
        window.open(form.getAttribute("data-sign-in-url"), "_blank");
      });
      var retry = document.createElement("button");
      retry.type = "button"; retry.className = "button"; retry.textContent = text("retry");
      retry.addEventListener("click", refreshToken);
      box.appendChild(signIn); box.appendChild(retry);
    }
    box.hidden = false;
  }

  function hideNotice() {
    var box = notice();
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  function endSession() {
    sessionEnded = true;
    keepCopy(false);
    showNotice(text("session_ended"), true);
  }

  function useToken(token) {
    setInput("csrf_token", token);
    var inputs = document.querySelectorAll('input[name="csrf_token"]');
    for (var i = 0; i < inputs.length; i++) { inputs[i].value = token; }
    var meta = document.querySelector('meta[name="csrf-token"]');  // htmx's header (app.js)
    if (meta) { meta.setAttribute("content", token); }
  }

  // Ask the server for this user's token: a fresh one after signing in again (here or in
  // another tab), or 401 when the session has ended. Then save what is kept.
  function refreshToken() {
    return fetch(form.getAttribute("data-token-url"), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) { endSession(); return; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json().then(function (data) {
          useToken(data.csrf_token);
          sessionEnded = false;
          hideNotice();
          triggerAutosave();
        });
      })
      .catch(function () { showNotice(text("offline"), false); });
  }

  function triggerAutosave() {
    if (window.htmx) { window.htmx.trigger(form, "change"); }
  }

  function redirectsToSignIn(ctx) {
    var target = ctx.hx && ctx.hx.redirect;
    return Boolean(target && /\/login(\?|$)/.test(target));
  }

  function isAutosave(event) {
    var ctx = event.detail && event.detail.ctx;
    return Boolean(form && event.target === form && ctx && ctx.request &&
                   /\/autosave$/.test(ctx.request.action || ""));
  }

  function onBeforeRequest(event) {
    if (!isAutosave(event)) { return; }
    var ctx = event.detail.ctx;
    if (sessionEnded) { event.preventDefault(); keepCopy(false); return; }
    var body = ctx.request.body;
    if (body && typeof body.set === "function") {
      // A queued request was built before the last answer: send the newest base and token.
      body.set("base", inputValue("base"));
      body.set("csrf_token", inputValue("csrf_token"));
      // The errors on screen, for the server to decide again (fixed, changed, still so).
      if (typeof body.delete === "function") { body.delete("shown_error"); }
      shownErrors().forEach(function (id) { body.append("shown_error", id); });
    }
    ctx.planEdits = edits;
  }

  function onAfterRequest(event) {
    if (!isAutosave(event)) { return; }
    var ctx = event.detail.ctx;
    var status = ctx.response ? ctx.response.status : 0;
    if (status === 401 || redirectsToSignIn(ctx)) {
      event.preventDefault();  // keep the page as typed: no swap, no redirect
      endSession();
      return;
    }
    if (status === 400) {
      event.preventDefault();
      keepCopy(false);
      showNotice(text("stale_token"), false);
      refreshToken();
      return;
    }
    if (status >= 400) {
      event.preventDefault();
      keepCopy(false);
      statusLine().textContent = text("server_error", {status: status});
      return;
    }
    if (status === 200) {
      hideNotice();
      if (!/data-confirmed="true"/.test(ctx.text || "")) {
        keepCopy(false);  // answered but not stored (window closed, a choice to make)
      } else if (ctx.planEdits === edits) {
        confirmedEdits = edits;
        dropCopies();
      } else {
        keepCopy(false);
      }
    }
  }

  function onAfterSwap(event) {
    if (!form || !form.contains(event.target)) { return; }
    syncErrors(form.querySelector("#autosave-status [data-field-errors]"));
  }

  function onError(event) {
    if (!isAutosave(event)) { return; }
    keepCopy(false);
    statusLine().textContent = text("offline");
  }

  // -- live character counters --------------------------------------------------------------

  function limitFor(limits, name) {
    if (limits[name]) { return limits[name]; }
    var pattern = name.replace(/\.\d+\./, ".*.");
    return limits[pattern] || 0;
  }

  function counters() {
    var limits = JSON.parse(form.getAttribute("data-text-limits") || "{}");
    var fields = form.querySelectorAll("textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var limit = limitFor(limits, field.name);
      if (!limit) { continue; }
      var count = document.createElement("p");
      count.className = "char-count";
      count.id = "cc-" + field.id;
      count.setAttribute("aria-hidden", "true");
      // Said only when crossing 90% or the limit, not on every key (aria-live polite).
      var spoken = document.createElement("span");
      spoken.className = "visually-hidden";
      spoken.setAttribute("aria-live", "polite");
      field.parentNode.insertBefore(count, field.nextSibling);
      count.parentNode.insertBefore(spoken, count.nextSibling);
      describedBy(field, count.id, false);
      field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + count.id).trim());
      update(field, limit, count, spoken);
      field.addEventListener("input", update.bind(null, field, limit, count, spoken));
    }
  }

  function update(field, limit, count, spoken) {
    var length = Array.from(field.value.replace(/\r\n/g, "\n")).length;
    count.textContent = text("count", {count: length, limit: limit});
    var state = length > limit ? "over" : (length >= limit * 0.9 ? "near" : "ok");
    count.classList.toggle("char-count-over", state === "over");
    if (state !== count.getAttribute("data-state")) {
      if (count.hasAttribute("data-state") || state !== "ok") {
        spoken.textContent = state === "over" ? text("count_over", {over: length - limit, limit: limit})
          : state === "near" ? text("count_near", {left: limit - length}) : text("count_ok", {limit: limit});
      }
      count.setAttribute("data-state", state);
    }
  }

  // -- wiring ---------------------------------------------------------------------------------

  function start() {
    announceSignedIn();
    autoSubmit();
    form = document.getElementById("plan-form");
    if (!form) { return; }
    messages = JSON.parse(form.getAttribute("data-messages") || "{}");
    try { sessionStorage.removeItem("plan-resume-tries"); } catch (e) { /* private mode */ }
    var status = form.querySelector("#autosave-status");
    // Only now that this script runs is there an autosave to speak of.
    if (status && !form.querySelector("#plan-problem")) {
      statusLine().textContent = status.getAttribute("data-autosave-note");
    }
    counters();
    offerCopy();

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    document.addEventListener("htmx:before:request", onBeforeRequest);
    document.addEventListener("htmx:after:request", onAfterRequest);
    document.addEventListener("htmx:after:swap", onAfterSwap);
    document.addEventListener("htmx:error", onError);
    document.addEventListener("submit", onSubmit, true);
    window.addEventListener("beforeunload", function (event) {
      if (dirty() && !form.hasAttribute("data-submitting")) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    window.addEventListener("focus", function () { if (sessionEnded) { refreshToken(); } });
    window.addEventListener("online", function () { if (dirty()) { triggerAutosave(); } });
    try {
      new BroadcastChannel(CHANNEL).onmessage = function () { if (sessionEnded) { refreshToken(); } };
    } catch (e) { /* old browser: the focus event and the button remain */ }
    window.addEventListener("storage", function (event) {
      if (event.key === "plan-signed-in" && sessionEnded) { refreshToken(); }
    });
  }

  function changed(event) {
    if (!event.isTrusted && event.type === "change") { return; }  // our own autosave trigger
    edits += 1;
    window.clearTimeout(copyTimer);
    copyTimer = window.setTimeout(function () { keepCopy(false); }, 250);
  }

  function onSubmit(event) {
    if (event.target !== form || event.defaultPrevented) { return; }
    if (sessionEnded) {
      // Posting now would meet the ended session: keep the page and offer to sign in.
      event.preventDefault();
      event.stopImmediatePropagation();
      endSession();
      notice().querySelector("button").focus();
      return;
    }
    keepCopy(true);  // until the answering page shows the saved version
    confirmedEdits = edits;  // the answer to this POST replaces the page
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
