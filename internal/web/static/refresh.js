// Pages that show a queue (callbacks) reload themselves every few seconds,
// as the element marked data-refresh-seconds says, with a button to pause
// the updates (WCAG 2.2.2) and never while the user is typing in a form.
// Without script the page does not reload; its "Refresh now" link does.
(function () {
  "use strict";
  var holder = document.querySelector("[data-refresh-seconds]");
  if (!holder) {
    return;
  }
  var seconds = Number(holder.getAttribute("data-refresh-seconds")) || 30;
  var key = "ketacare-refresh-paused:" + location.pathname;
  var paused = sessionStorage.getItem(key) === "1";

  var note = document.createElement("span");
  var button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-u-margin-bottom-0";
  function show() {
    note.textContent = paused ? " Updates are paused. " : " This page updates every " + seconds + " seconds. ";
    button.textContent = paused ? "Resume updates" : "Pause updates";
  }
  button.addEventListener("click", function () {
    paused = !paused;
    sessionStorage.setItem(key, paused ? "1" : "0");
    show();
  });
  show();
  holder.appendChild(note);
  holder.appendChild(button);

  function busy() {
    var el = document.activeElement;
    return el && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }
  setInterval(function () {
    if (!paused && !busy()) {
      location.reload();
    }
  }, seconds * 1000);
}());
