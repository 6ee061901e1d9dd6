// 帶入去年資料: after a prefill, put the panel's marks beside the questions themselves
// ("帶入去年" / "本學年度新題目"). The panel lists them with links either way; this only
// repeats them where a person reads each question. Text comes from the page (data-mark).
(function () {
  "use strict";

  function markQuestions() {
    var lists = document.querySelectorAll("#prefill [data-mark]");
    lists.forEach(function (list) {
      var text = list.getAttribute("data-mark");
      var kind = list.getAttribute("data-prefill");
      list.querySelectorAll("li[data-code]").forEach(function (item) {
        var question = document.getElementById("q-" + item.getAttribute("data-code"));
        if (!question || question.querySelector(".prefill-mark")) return;
        var mark = document.createElement("p");
        mark.className = "prefill-mark prefill-mark-" + kind;
        mark.textContent = text;
        var legend = question.querySelector(":scope > legend");
        question.insertBefore(mark, legend ? legend.nextSibling : question.firstChild);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markQuestions);
  } else {
    markQuestions();
  }
})();
