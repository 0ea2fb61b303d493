/* The light join page's script (course.server.join): follow the trainer, send votes.

   The page works without it (its forms post and come back). With it:
   - the stage follows the trainer: a long-poll to the page's state address (data-cm-state-url)
     with the state the page shows (data-cm-key); the answer comes when the trainer moves on,
     and the stage's HTML (written and escaped by the server) replaces the old one; keyboard
     focus moves to the new scenario's title or the answer, as on the kernel join page;
   - the vote is sent without leaving the page: the form's own fields, the _xsrf token among
     them, posted with fetch; the server's words say whether it counted.
   Nothing here decides anything: every check is the server's. No inline script (the CSP). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  ready(function () {
    var stage = document.querySelector("[data-cm-stage]");
    if (!stage) return; // the code or join form: plain forms, nothing to follow
    var trouble = document.querySelector("[data-cm-trouble]");
    var stateUrl = stage.getAttribute("data-cm-state-url");
    var key = stage.getAttribute("data-cm-key");

    function letterOf(form, input) {
      var inputs = Array.prototype.slice.call(form.querySelectorAll('input[name="choice"]'));
      return String.fromCharCode(65 + inputs.indexOf(input));
    }

    function say(status, html, error) {
      status.innerHTML = html;
      status.className = "cm-status" + (error ? " cm-status--error" : "");
      status.setAttribute("role", error ? "alert" : "status");
    }

    function show(html, newKey) {
      stage.innerHTML = html;
      key = newKey;
      var marks = stage.querySelectorAll("[data-cm-focus]");
      if (marks.length) marks[marks.length - 1].focus({ preventScroll: false });
    }

    // the vote: the form's own fields (with _xsrf) posted by fetch; the page stays
    stage.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-cm-ballot")) return;
      event.preventDefault();
      var status = form.querySelector("[data-cm-vote-status]");
      var button = form.querySelector('button[type="submit"]');
      var picked = form.querySelector('input[name="choice"]:checked');
      if (!picked) {
        say(status, "Pick one, then send your vote.", true);
        return;
      }
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (data) { return [response.status, data]; });
        })
        .then(function (result) {
          var data = result[1];
          if (data.ok) {
            say(status, data.status_html, false);
            status.classList.add("cm-live-voted");
            button.textContent = data.button;
          } else {
            say(status, "", true);
            status.textContent = data.message;
            if (result[0] === 403) setTimeout(function () { location.reload(); }, 4000);
          }
        })
        .catch(function () {
          say(status, "", true);
          status.textContent = "Your vote was not sent: the connection dropped. Please press the button again.";
        })
        .finally(function () { button.disabled = false; });
    });

    // a new pick after a vote: say it is not sent yet
    stage.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name !== "choice") return;
      var form = input.form;
      var status = form.querySelector("[data-cm-vote-status]");
      if (status.classList.contains("cm-live-voted")) {
        say(status, "You have picked " + letterOf(form, input) + ". Press <strong>Change my vote</strong> to send it.", false);
      }
    });

    async function follow() {
      var pause = 1000;
      while (key !== "ended") {
        try {
          var response = await fetch(stateUrl + "&since=" + encodeURIComponent(key), {
            credentials: "same-origin",
            cache: "no-store",
            headers: { Accept: "application/json" },
          });
          if (response.status === 403 || response.status === 404) {
            location.reload(); // no longer a voter of this session: the page offers Join again
            return;
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          var data = await response.json();
          trouble.hidden = true;
          pause = 1000;
          if (data.key !== key) show(data.html, data.key);
          if (data.retry_after) await sleep(1000 * data.retry_after);
        } catch (error) {
          trouble.hidden = false;
          await sleep(pause);
          pause = Math.min(pause * 2, 10000);
        }
      }
    }

    follow();
  });
})();
