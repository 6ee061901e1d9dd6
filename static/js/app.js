// Small behaviours on top of plain forms; every page works without this file.
document.addEventListener("htmx:after:swap", function (event) {
  // Move focus to a swapped-in error summary so keyboard and screen-reader users hear it.
  var summary = document.querySelector("[data-focus-on-swap]");
  if (summary) { summary.focus(); summary.removeAttribute("data-focus-on-swap"); }
});
