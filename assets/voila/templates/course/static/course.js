/* The course theme's only script. The app (Python, in the kernel) cannot run code in the
   page, so it leaves marks in its HTML and this script acts on them as they appear:
     data-cm-focus  move keyboard focus here (after Check, Next, Back, sign-in), so screen
                    readers read what changed and Tab carries on from there;
     data-cm-url    replace the page address (after sign-in, so a reload keeps the session);
     data-cm-title  set the page title (each page says what it is).
   It also moves Voila's page shell (which Voila appends to <body>) into the page's <main>,
   so the content sits in the main landmark that the skip link and screen readers use.
   Nothing here loads anything. */
(function () {
  "use strict";
  var pending = false;

  function apply() {
    pending = false;
    var shell = document.getElementById("main");
    var main = document.getElementById("cm-main");
    if (shell && main && shell.parentNode !== main) { main.appendChild(shell); }
    var marks = document.querySelectorAll("[data-cm-url]");
    marks.forEach(function (el) {
      var target = el.getAttribute("data-cm-url");
      el.removeAttribute("data-cm-url");
      try { window.history.replaceState(null, "", target); } catch (e) { /* not fatal */ }
    });
    document.querySelectorAll("[data-cm-title]").forEach(function (el) {
      document.title = el.getAttribute("data-cm-title");
      el.removeAttribute("data-cm-title");
    });
    var focus = document.querySelectorAll("[data-cm-focus]");
    if (focus.length) {
      var target = focus[focus.length - 1];
      focus.forEach(function (el) { el.removeAttribute("data-cm-focus"); });
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }

  /* Choose, then Check, in quick succession: ipywidgets may send the Check click before the
     latest choice (it holds a choice back while an earlier message is unanswered). The kernel
     marks the Check button with the choice it has (cm-ack-N); a click waits until that mark
     matches the choice on screen, so the answer saved is always the one the learner sees. */
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.cm-check") : null;
    if (!button) { return; }
    if (button.getAttribute("data-cm-released") === "1") { button.removeAttribute("data-cm-released"); return; }
    var box = button.closest(".cm-decision");
    var checked = box ? box.querySelector('input[type="radio"]:checked') : null;
    if (!checked || button.classList.contains("cm-ack-" + checked.value)) { return; }
    event.stopImmediatePropagation();
    event.preventDefault();
    var waited = 0;
    (function release() {
      if (button.classList.contains("cm-ack-" + checked.value) || waited >= 5000) {
        button.setAttribute("data-cm-released", "1");
        button.click();
        return;
      }
      waited += 20;
      window.setTimeout(release, 20);
    })();
  }, true);

  new MutationObserver(function () {
    if (!pending) { pending = true; window.setTimeout(apply, 0); }
  }).observe(document.documentElement, { childList: true, subtree: true });
})();

/* Forms (the sign-in form: a container marked cm-enter-submits, its button cm-submit).
   - Enter, or a phone keyboard's Go, in any field presses the form's button. ipywidgets' own
     Enter message ("submit", deprecated) is sent before the typed value, so the kernel would
     read the old value; instead the field's value is committed first (a change event: each
     widget sends its own messages in order, and the button's click comes after it).
   - A field's error line (id cm-error-<key>, shown under the field cm-field--<key>) is tied to
     its input while it shows: aria-describedby and aria-invalid, so a screen reader says it
     on the field. The kernel decides what is wrong; this only wires up what it wrote. */
(function () {
  "use strict";
  var pending = false;

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing || event.shiftKey || event.altKey || event.ctrlKey) { return; }
    var input = event.target;
    if (!input || input.tagName !== "INPUT") { return; }
    var form = input.closest ? input.closest(".cm-enter-submits") : null;
    var button = form ? form.querySelector("button.cm-submit") : null;
    if (!button || button.disabled) { return; }
    event.preventDefault();  // no ipywidgets "submit" message: the button's click does it
    input.dispatchEvent(new Event("change", { bubbles: true }));
    button.click();
  }, true);  // capture: ipywidgets' text view stops keydown from bubbling

  function wire() {
    pending = false;
    document.querySelectorAll(".cm-enter-submits input").forEach(function (input) {
      if (!input.hasAttribute("enterkeyhint")) { input.setAttribute("enterkeyhint", "go"); }
    });
    document.querySelectorAll(".cm-field").forEach(function (field) {
      var key = null;
      field.classList.forEach(function (c) { if (c.indexOf("cm-field--") === 0) { key = c.slice(10); } });
      var input = key ? field.querySelector("input, textarea") : null;
      if (!input) { return; }
      var error = document.getElementById("cm-error-" + key);
      if (error && error.textContent.trim()) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", error.id);
      } else if (input.getAttribute("aria-describedby") === "cm-error-" + key) {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    });
  }

  new MutationObserver(function () {
    if (!pending) { pending = true; window.setTimeout(wire, 0); }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
})();
