/* What a module page's tab tells its kernel (issue 17), through the page's hidden text box
   (.cm-tab-signal, course/app/module.py): the kernel cannot see the tab, only widget messages.
     "hidden N"   the tab is closing or being hidden (a phone locking, another app): the kernel
                  saves at once a reflection still waiting for its one-second timer. On a tab
                  close this listener runs before Voila's own beforeunload (registered later,
                  when Voila's app starts), which asks the server to shut the kernel down.
     "visible N"  the tab is shown or focused again: the kernel reads the records store and,
                  if another tab or device changed the module, shows where it stands now.
   Typing needs nothing here: the reflection box sends each keystroke (continuous_update).
   Nothing is trusted from this: the kernel checks every write against the store itself. */
(function () {
  "use strict";
  var count = 0;
  var lastVisible = 0;

  function signal(kind) {
    var box = document.querySelector(".cm-tab-signal input");
    if (!box) { return; }
    count += 1;
    box.value = kind + " " + count;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function hidden() { signal("hidden"); }

  function visible() {
    var now = Date.now();
    if (now - lastVisible < 1000) { return; }  /* focus and visibilitychange come together */
    lastVisible = now;
    signal("visible");
  }

  window.addEventListener("beforeunload", hidden);
  window.addEventListener("pagehide", hidden);
  window.addEventListener("pageshow", function (event) { if (event.persisted) { visible(); } });
  window.addEventListener("focus", visible);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { hidden(); } else { visible(); }
  });
})();
