// Casebook's own script: progressive enhancement only; every page works without it.
// Countdowns of SLA deadlines, live queue updates over server-sent events, the queue's bulk
// selection (select all on a page; no refresh while rows are ticked), drag and drop of
// files, keyboard shortcuts, filling the sign-in form from the demo account list, the
// knowledge-base suggestions of the portal's new-case page (with the deflection count),
// reply templates inserted into the reply box without a reload, and the signature box of a
// visit (strokes drawn with a finger, pen or mouse, sent as an SVG of paths).
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var zh = lang.indexOf("zh") === 0;

  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var parts = [];
    if (d) parts.push(d + (zh ? "天" : "d"));
    if (d || h) parts.push(h + (zh ? "小时" : "h"));
    parts.push(mm + (zh ? "分" : "m"));
    return parts.join(zh ? "" : " ");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) return;
      var left = at - now;
      if (!el.dataset.absolute) el.dataset.absolute = el.textContent;
      el.title = el.dataset.absolute;
      if (left >= 0) {
        el.textContent = zh ? "剩余 " + span(left) : span(left) + " left";
        if (el.hasAttribute("data-urgency")) {
          // The server chose the colour (a quarter of the target left); the last hour warns.
          if (left < 3600000) { el.classList.remove("left-ok"); el.classList.add("left-warning"); }
        } else {
          el.classList.toggle("soon", left < 3600000);
        }
      } else {
        // A clock that already says it is breached (data-after-label) shows only by how much.
        if (el.hasAttribute("data-after-label")) el.textContent = span(left);
        else el.textContent = zh ? "已超时 " + span(left) : "overdue by " + span(left);
        if (el.hasAttribute("data-urgency")) {
          el.classList.remove("left-ok", "left-warning");
          el.classList.add("left-breached");
        } else {
          el.classList.add("breached");
        }
      }
    });
  }

  // The queue's bulk selection: a box that ticks every row of the page. While rows are ticked
  // the live refresh waits, so the versions the rows were seen at stay the ones submitted.
  function selection() {
    var box = document.getElementById("queue-rows");
    if (!box) return;
    box.addEventListener("change", function (e) {
      if (e.target.hasAttribute("data-select-all")) {
        box.querySelectorAll("input[name=case]").forEach(function (c) { c.checked = e.target.checked; });
      }
    });
    var all = box.querySelector("[data-select-all]");
    if (all) all.hidden = false;
  }

  function ticked(box) {
    return box.querySelector("input[name=case]:checked") !== null;
  }

  function live() {
    var box = document.getElementById("queue-rows");
    if (!box || !window.EventSource) return;
    var source = new EventSource("/console/events");
    source.addEventListener("changed", function () {
      if (ticked(box)) return;
      fetch(box.dataset.live, { credentials: "same-origin" })
        // A redirect means the session ended (to the sign-in page): leave the table alone.
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          if (ticked(box)) return;
          box.replaceChildren.apply(box, Array.from(doc.body.childNodes));
          var all = box.querySelector("[data-select-all]");
          if (all) all.hidden = false;
          tick();
        })
        .catch(function () {});
    });
  }

  function drops() {
    document.querySelectorAll("[data-drop]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      if (!input) return;
      zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
      zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
      zone.addEventListener("drop", function (e) {
        e.preventDefault();
        zone.classList.remove("over");
        if (e.dataTransfer && e.dataTransfer.files.length) input.files = e.dataTransfer.files;
      });
    });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function keys() {
    var pending = null;
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      var k = e.key;
      if (pending === "g") {
        pending = null;
        if (k === "q") location.href = "/console";
        if (k === "i") location.href = "/console/intake";
        return;
      }
      if (k === "g") { pending = "g"; return; }
      if (k === "/") {
        // The page's own search field first, else the one in the header.
        var search = document.querySelector("main [data-shortcut='/']") ||
          document.querySelector("[data-shortcut='/']");
        if (search) { e.preventDefault(); search.focus(); }
      } else if (k === "r" || k === "n") {
        var body = document.getElementById("reply-body");
        if (!body) return;
        e.preventDefault();
        var radio = document.getElementById(k === "r" ? "vis-public" : "vis-internal");
        if (radio) radio.checked = true;
        body.focus();
      } else if (k === "m") {
        var pick = document.getElementById("t-template");
        if (pick) { e.preventDefault(); pick.focus(); }
      } else if (k === "j" || k === "k") {
        var links = Array.from(document.querySelectorAll("a.case-link"));
        if (!links.length) return;
        var i = links.indexOf(document.activeElement);
        i = k === "j" ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
        links[i].focus();
      } else if (k === "?") {
        var dialog = document.getElementById("shortcuts");
        if (dialog && dialog.showModal) dialog.showModal();
      }
    });
  }

  function demo() {
    document.querySelectorAll(".fill-demo").forEach(function (b) {
      b.addEventListener("click", function () {
        var email = document.getElementById("email"), password = document.getElementById("password");
        if (!email || !password) return;
        email.value = b.dataset.email;
        password.value = b.dataset.password;
        password.focus();
      });
    });
  }

  // While the customer types a new case's title, matching articles are shown (a fragment
  // rendered by the server). If some were shown and the customer leaves the page without
  // sending the form (and not by opening one of them, where "this solved it" counts), the
  // page tells the server with a beacon that carries the session's CSRF token.
  function suggestions() {
    var input = document.querySelector("input[data-suggest]");
    var box = document.getElementById("kb-suggestions");
    if (!input || !box || !window.fetch) return;
    var form = input.form;
    var timer = null, seq = 0, shown = "", submitted = false, following = false, sent = false;
    function load() {
      var q = input.value.trim();
      var mine = ++seq;
      if (q.length < 2) { box.replaceChildren(); return; }
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (html === null || mine !== seq) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          box.replaceChildren.apply(box, Array.from(doc.body.childNodes));
          if (box.querySelector("a[data-article]")) shown = q;
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    box.addEventListener("click", function (e) {
      var link = e.target.closest && e.target.closest("a[data-article]");
      if (link && !e.ctrlKey && !e.metaKey && !e.shiftKey) following = true;
    });
    if (form) form.addEventListener("submit", function () { submitted = true; });
    window.addEventListener("pagehide", function () {
      if (!shown || submitted || following || sent || !navigator.sendBeacon) return;
      var token = form && form.querySelector("input[name=_csrf]");
      var body = new URLSearchParams();
      body.set("_csrf", token ? token.value : "");
      body.set("q", shown);
      sent = navigator.sendBeacon(box.dataset.deflected, body);
    });
  }

  // "Insert" of the case page's template picker: the template's text for this case comes from
  // the API and goes into the reply box (the form posts as usual if that fails).
  function templates() {
    var form = document.getElementById("template-picker");
    if (!form || !window.fetch) return;
    form.addEventListener("submit", function (e) {
      if (!e.submitter || e.submitter.value !== "insert") return;
      e.preventDefault();
      var url = "/api/v1/cases/" + form.dataset.case + "/reply-templates/" +
        form.elements.template.value + "/render";
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements._csrf.value },
        body: JSON.stringify({ lang: form.elements.lang.value })
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (reply) {
          var body = document.getElementById("reply-body");
          var radio = document.getElementById(reply.visibility === "internal" ? "vis-internal" : "vis-public");
          if (radio) radio.checked = true;
          body.value = reply.text;
          body.setAttribute("data-inserted", form.elements.template.value);
          body.focus();
        })
        .catch(function () { form.submit(); });
    });
  }

  // The visit's signature box: each stroke becomes a path of the SVG; the form sends the SVG
  // in `signature` (the server keeps only the paths).
  function signature() {
    var pad = document.getElementById("signature-pad");
    var data = document.getElementById("signature-data");
    if (!pad || !data) return;
    var ns = "http://www.w3.org/2000/svg";
    var path = null;
    function point(e) {
      var box = pad.getBoundingClientRect();
      var x = (e.clientX - box.left) * 600 / box.width;
      var y = (e.clientY - box.top) * 200 / box.height;
      return Math.round(x * 10) / 10 + " " + Math.round(y * 10) / 10;
    }
    function save() {
      var strokes = pad.querySelectorAll("path");
      if (!strokes.length) { data.value = ""; return; }
      var out = '<svg xmlns="' + ns + '" viewBox="0 0 600 200">';
      for (var i = 0; i < strokes.length; i++) {
        out += '<path d="' + strokes[i].getAttribute("d") + '"/>';
      }
      data.value = out + "</svg>";
    }
    pad.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      try { pad.setPointerCapture(e.pointerId); } catch (ignored) { /* not capturable */ }
      path = document.createElementNS(ns, "path");
      path.setAttribute("d", "M " + point(e) + " L " + point(e));
      pad.appendChild(path);
    });
    pad.addEventListener("pointermove", function (e) {
      if (!path) return;
      e.preventDefault();
      path.setAttribute("d", path.getAttribute("d") + " L " + point(e));
    });
    function end() { if (path) { path = null; save(); } }
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    pad.addEventListener("pointerleave", end);
    var clear = document.getElementById("signature-clear");
    if (clear) clear.addEventListener("click", function () {
      while (pad.firstChild) pad.removeChild(pad.firstChild);
      save();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    live();
    selection();
    drops();
    keys();
    demo();
    suggestions();
    templates();
    signature();
  });
})();
