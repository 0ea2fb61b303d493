/* The "course is busy" page (course.app.pages.busy_page): count down, then ask for the page again.
   The learner keeps control of the timing (WCAG 2.2.1): "Stop trying" ends the countdown, and
   "Try again now" is a plain link that works without this script. Screen readers hear the
   status when it starts and when it stops, not every second. */
(function () {
  "use strict";
  function start() {
    var status = document.querySelector("[data-cm-retry]");
    var stop = document.querySelector("[data-cm-stop]");
    if (!status) { return; }
    var left = parseInt(status.getAttribute("data-cm-retry"), 10) || 15;
    var timer = null;
    var visible = document.createElement("span");
    visible.setAttribute("aria-hidden", "true");
    function show() { visible.textContent = " Next try in " + left + " s."; }
    status.textContent = "You do not need to do anything: this page tries again by itself.";
    status.appendChild(visible);
    show();
    timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        status.textContent = "Trying again now...";
        window.location.reload();
        return;
      }
      show();
    }, 1000);
    if (stop) {
      stop.hidden = false;
      stop.addEventListener("click", function () {
        window.clearInterval(timer);
        stop.hidden = true;
        status.textContent = "Stopped. Press Try again now when you are ready.";
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
