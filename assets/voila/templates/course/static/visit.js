/* One kernel per learner visit (issue 19; course/app/visit.py). A plain click on a link to
   another learner page (home, a module, the certificate, help) does not load a new page with
   a new kernel: the address is pushed into the browser's history and handed to this page's
   kernel through its hidden box (.cm-visit-route, "<number> <address>"), which shows that view.
   Back and Forward hand over the address they return to. The kernel checks every address
   itself (a learner page, known keys, this visit's sign-in): nothing here is trusted.

   Left alone (a normal navigation): clicks with Ctrl, Cmd, Shift, Alt or a middle button, links
   with download or a target, links to other folders or servers, links to pages the kernel does
   not show (the route box's classes cm-visit-views--<name> list those it does). When the kernel
   cannot answer (its websocket is closed, or no view came within WAIT_MS), the page is loaded
   the ordinary way instead.

   When the new view (.cm-visit-view--<number>) is on screen: the page title is set, the view's
   main heading gets focus, the page scrolls to the top, and a live region says what opened. */
(function () {
  "use strict";
  var WAIT_MS = 20000;  /* a busy server builds a module in well under this */
  var SYNC_MS = 5000;   /* the longest wait for the kernel to have the words typed */
  var SUFFIX = " - Social media course";
  var number = 0;       /* the last navigation handed to the kernel */
  var waiting = null;   /* {number, title, started} while a view is on its way */
  var current = window.location.pathname + window.location.search;  /* the address last handed over */
  var sockets = [];

  /* The kernel's websockets, to know whether it can still answer. Voila's script makes them
     later with the global WebSocket: this wrapper only remembers each one. */
  var Native = window.WebSocket;
  if (Native) {
    var Watched = function (url, protocols) {
      var socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
      if (String(url).indexOf("/channels") !== -1) { sockets.push(socket); }
      return socket;
    };
    Watched.prototype = Native.prototype;
    ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Watched[k] = Native[k]; });
    window.WebSocket = Watched;
  }

  function kernelConnected() {
    return sockets.some(function (s) { return s.readyState === 1; });
  }

  function routeBox() { return document.querySelector(".cm-visit-route input"); }

  function viewName(url) {
    var here = window.location.pathname;
    var folder = here.slice(0, here.lastIndexOf("/") + 1);
    if (url.origin !== window.location.origin || url.pathname.slice(0, folder.length) !== folder) { return null; }
    var name = url.pathname.slice(folder.length);
    var match = /^([a-z]+)\.ipynb$/.exec(name);
    var box = document.querySelector(".cm-visit-route");
    return match && box && box.classList.contains("cm-visit-views--" + match[1]) ? match[1] : null;
  }

  function hand(address) {
    var input = routeBox();
    if (!input || !kernelConnected()) { return false; }
    number += 1;
    current = address;
    waiting = { number: number, title: document.title, started: Date.now() };
    input.value = number + " " + address;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  /* The same mark as course/widgets/reflection.py text_mark: djb2 over UTF-16 code units. */
  function textMark(text) {
    var mark = 5381;
    for (var i = 0; i < text.length; i += 1) { mark = (Math.imul(mark, 33) + text.charCodeAt(i)) >>> 0; }
    return mark.toString(16);
  }

  /* Every text box the kernel marks (cm-got-<mark>) holds, in the kernel, what it shows here. */
  function synced() {
    return Array.prototype.every.call(document.querySelectorAll('.cm-visit [class*="cm-got-"]'), function (box) {
      var field = box.querySelector("textarea, input");
      return !field || box.classList.contains("cm-got-" + textMark(field.value));
    });
  }

  /* Hand the address over once the kernel has the last words typed (at most SYNC_MS later). */
  function handWhenSynced(address) {
    var started = Date.now();
    (function attempt() {
      if (synced() || Date.now() - started > SYNC_MS) {
        if (!hand(address)) { window.location.reload(); }
        return;
      }
      window.setTimeout(attempt, 20);
    })();
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.hasAttribute("download") || (link.target && link.target !== "_self")) { return; }
    var url;
    try { url = new URL(link.getAttribute("href"), window.location.href); } catch (e) { return; }
    if (url.hash && url.pathname === window.location.pathname && url.search === window.location.search) { return; }
    if (!viewName(url)) { return; }
    var address = url.pathname + url.search;
    if (!routeBox() || !kernelConnected()) { return; }  /* the ordinary navigation */
    event.preventDefault();
    window.history.pushState({ cmVisit: true }, "", address);
    handWhenSynced(address);
  });

  window.addEventListener("popstate", function () {
    var url = new URL(window.location.href);
    /* Back from the skip link's #cm-main (same address): nothing to show anew */
    if (!viewName(url) || url.pathname + url.search === current) { return; }
    handWhenSynced(url.pathname + url.search);
  });

  if ("scrollRestoration" in window.history) { window.history.scrollRestoration = "manual"; }

  function liveRegion() {
    var region = document.getElementById("cm-visit-live");
    if (!region) {
      region = document.createElement("div");
      region.id = "cm-visit-live";
      region.className = "cm-visit-live";
      region.setAttribute("aria-live", "polite");
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    return region;
  }

  function arrived() {
    if (!waiting) { return; }
    var view = document.querySelector(".cm-visit-view--" + waiting.number);
    var heading = view ? view.querySelector("h1") : null;
    if (!heading) {
      if (Date.now() - waiting.started > WAIT_MS) {  /* the kernel did not answer: load the page */
        waiting = null;
        window.location.reload();
      }
      return;
    }
    var before = waiting.title;
    waiting = null;
    var marked = view.querySelector("[data-cm-title]");
    var text = heading.textContent.trim();
    if (marked) {
      document.title = marked.getAttribute("data-cm-title");
    } else if (document.title === before) {  /* course.js has not set it from the view's mark */
      document.title = text + SUFFIX;
    }
    window.scrollTo(0, 0);
    if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
    heading.focus({ preventScroll: true });
    liveRegion().textContent = "";
    window.setTimeout(function () { liveRegion().textContent = "Page opened: " + text; }, 100);
  }

  new MutationObserver(function () { window.setTimeout(arrived, 0); })
    .observe(document.documentElement, { childList: true, subtree: true });
  window.setInterval(arrived, 1000);  /* the timeout is checked even when nothing changes */
})();
