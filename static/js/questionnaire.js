// Show-if for questionnaires: hide a question while its condition is not met.
// Optional: without this file every question is shown with its 「當…時填寫」 hint,
// and the server drops answers of hidden questions on submit. Hidden inputs are
// not disabled, so nothing typed is lost when a condition is switched back.
(function () {
  "use strict";

  function chosenValues(code) {
    var values = [];
    var fields = document.querySelectorAll('[name="q.' + code + '"]');
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) { values.push(field.value); }
      } else if (field.value) {
        values.push(field.value);
      }
    }
    return values;
  }

  function controllerHidden(code) {
    // Conditions point at earlier questions, which are refreshed first.
    var question = document.getElementById("q-" + code);
    var block = question && question.closest("[data-show-if-question]");
    return Boolean(block && block.hidden);
  }

  function refresh() {
    var blocks = document.querySelectorAll("[data-show-if-question]");
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var code = block.getAttribute("data-show-if-question");
      var wanted = block.getAttribute("data-show-if-values").split(" ");
      var met = chosenValues(code).some(function (value) { return wanted.indexOf(value) !== -1; });
      block.hidden = !met || controllerHidden(code);
    }
  }

  document.addEventListener("change", function (event) {
    var name = event.target && event.target.name;
    if (name && name.indexOf("q.") === 0) { refresh(); }
  });
  document.addEventListener("DOMContentLoaded", refresh);
  // Content swapped in by htmx (4.x: htmx:after:swap; 2.x: htmx:load).
  document.addEventListener("htmx:after:swap", refresh);
  document.addEventListener("htmx:load", refresh);
})();
