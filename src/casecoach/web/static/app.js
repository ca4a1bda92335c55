/* casecoach: progressive enhancement for server-rendered pages.
 *
 * - Drafts: every keystroke in an answer box is kept in localStorage under
 *   casecoach:draft:<session>:<step>, restored on load, and removed once the server has
 *   stored that step (pages list the stored steps in data-done-steps).
 * - The mock-mode timer (its start is kept per step, so a reload does not reset it).
 * - A character counter, a busy state while grading, error messages for htmx requests.
 * - Charts (Chart.js, vendored) fed by the JSON API.
 * No inline scripts: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  var storage = {
    get: function (key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; } },
    remove: function (key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } },
    keys: function () {
      var out = [];
      try { for (var i = 0; i < window.localStorage.length; i++) out.push(window.localStorage.key(i)); } catch (e) { /* none */ }
      return out;
    }
  };

  function clock() {
    return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function clearDone(root) {
    root.querySelectorAll("[data-done-steps]").forEach(function (bar) {
      var session = bar.getAttribute("data-session");
      (bar.getAttribute("data-done-steps") || "").split(" ").forEach(function (step) {
        if (!step) return;
        storage.remove("casecoach:draft:" + session + ":" + step);
        storage.remove("casecoach:timer:" + session + ":" + step);
      });
    });
    root.querySelectorAll("[data-clear-drafts]").forEach(function (bar) {
      var session = bar.getAttribute("data-session");
      storage.keys().forEach(function (key) {
        if (key && (key.indexOf("casecoach:draft:" + session + ":") === 0 ||
                    key.indexOf("casecoach:timer:" + session + ":") === 0)) storage.remove(key);
      });
    });
  }

  function formatCount(n) { return n.toLocaleString("en-US"); }

  function initAnswer(textarea) {
    if (textarea.getAttribute("data-ready")) return;
    textarea.setAttribute("data-ready", "1");
    var key = textarea.getAttribute("data-draft-key");
    var max = parseInt(textarea.getAttribute("data-max-chars") || "20000", 10);
    var form = textarea.closest("form");
    var status = form ? form.querySelector("[data-draft-status]") : null;
    var counter = form ? form.querySelector("[data-counter]") : null;

    function count() {
      if (!counter) return;
      var n = Array.from(textarea.value).length;
      counter.textContent = formatCount(n) + " / " + formatCount(max) +
        (n > max ? " · too long by " + formatCount(n - max) : "");
      counter.classList.toggle("over", n > max);
    }

    function save() {
      if (!key) return;
      var ok = textarea.value ? storage.set(key, textarea.value) : (storage.remove(key), true);
      if (status) {
        status.textContent = ok ? (textarea.value ? "Draft saved in this browser at " + clock() + "." : "")
                                : "This browser does not keep drafts: copy long answers somewhere safe.";
      }
    }

    var saved = key ? storage.get(key) : null;
    if (saved && !textarea.value) {
      textarea.value = saved;
      if (status) status.textContent = "Draft restored: nothing you typed was lost.";
    } else if (textarea.value) {
      save();
    }
    count();
    textarea.addEventListener("input", function () { save(); count(); });
    textarea.addEventListener("blur", save);
    window.addEventListener("pagehide", save);

    if (form && !form.getAttribute("data-ready")) {
      form.setAttribute("data-ready", "1");
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        if (submitter && submitter.getAttribute("form")) return; // the skip button
        var n = Array.from(textarea.value).length;
        var problem = null;
        if (!textarea.value.trim()) problem = "Write an answer first (or skip the question).";
        else if (n > max) problem = "The answer is " + formatCount(n) + " characters; the limit is " + formatCount(max) + ". Shorten it first: your text is kept.";
        if (problem) {
          event.preventDefault();
          event.stopImmediatePropagation();
          showError(form, problem);
          return;
        }
        save();
        form.classList.add("busy");
        form.querySelectorAll("button[data-submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
      }, true);
    }
  }

  function showError(form, message) {
    var box = form.parentNode.querySelector(".error[data-client]");
    if (!box) {
      box = document.createElement("p");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-client", "1");
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = message;
  }

  function initTimer(el) {
    if (el.getAttribute("data-ready")) return;
    el.setAttribute("data-ready", "1");
    var minutes = parseInt(el.getAttribute("data-timer-minutes"), 10);
    var key = el.getAttribute("data-timer-key");
    var start = parseInt(storage.get(key) || "", 10);
    if (!start) { start = Date.now(); storage.set(key, String(start)); }
    var value = el.querySelector(".timer-value");
    var label = el.querySelector(".timer-label");
    function tick() {
      var left = Math.round(minutes * 60 - (Date.now() - start) / 1000);
      if (left > 0) {
        var m = Math.floor(left / 60), s = left % 60;
        value.textContent = m + ":" + (s < 10 ? "0" : "") + s;
        el.classList.toggle("warn", left <= 60);
      } else {
        label.textContent = "";
        value.textContent = "Time is up: wrap up";
        el.classList.add("over");
      }
    }
    tick();
    window.setInterval(tick, 500);
  }

  // -- charts ------------------------------------------------------------------------------

  var PALETTE = {
    "research-design": "#3949ab",
    "analytical-design": "#00897b",
    "storytelling": "#e65100",
    "goals-metrics": "#8e24aa",
    "data-visualization": "#c62828",
    "product-sense": "#546e7a",
    "statistics": "#6d4c41"
  };

  function radar(canvas, data) {
    var labels = data.competencies.map(function (c) { return c.label; });
    var datasets = [{
      label: "This session",
      data: data.competencies.map(function (c) { return c.score; }),
      borderColor: "#3949ab", backgroundColor: "rgba(57, 73, 171, 0.18)",
      pointBackgroundColor: "#3949ab", borderWidth: 2
    }];
    if (data.competencies.some(function (c) { return c.follow_up_score !== null; })) {
      datasets.push({
        label: "After follow-up",
        data: data.competencies.map(function (c) { return c.follow_up_score; }),
        borderColor: "#00897b", backgroundColor: "rgba(0, 137, 123, 0.10)",
        pointBackgroundColor: "#00897b", borderWidth: 2, borderDash: [5, 4]
      });
    }
    return new window.Chart(canvas, {
      type: "radar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, spanGaps: true,
        scales: { r: { min: 0, max: 5, ticks: { stepSize: 1, backdropColor: "transparent" },
                       pointLabels: { font: { size: 12 } } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function progress(canvas, data) {
    return new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.sessions.map(function (s) { return s.label; }),
        datasets: data.series.map(function (s) {
          var color = PALETTE[s.competency] || "#455a64";
          return { label: s.label, data: s.scores, borderColor: color, backgroundColor: color,
                   spanGaps: true, tension: 0.25, pointRadius: 4, borderWidth: 2 };
        })
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        scales: { y: { min: 1, max: 5, ticks: { stepSize: 1 }, title: { display: true, text: "Score (1-5)" } },
                  x: { offset: true, ticks: { maxRotation: 40, autoSkip: true } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function initChart(canvas) {
    if (canvas.getAttribute("data-ready")) return;
    canvas.setAttribute("data-ready", "1");
    if (!window.Chart) { canvas.setAttribute("data-error", "chart library missing"); return; }
    fetch(canvas.getAttribute("data-src"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        var kind = canvas.getAttribute("data-chart");
        (kind === "radar" ? radar : progress)(canvas, data);
        canvas.setAttribute("data-rendered", "1");
      })
      .catch(function (err) { canvas.setAttribute("data-error", String(err)); });
  }

  // -- linking highlights and criteria rows ---------------------------------------------------

  function initHighlights(root) {
    root.querySelectorAll("mark[data-refs]").forEach(function (mark) {
      var refs = (mark.getAttribute("data-refs") || "").split(",").filter(Boolean);
      if (!refs.length) return;
      var card = mark.closest("main");
      function rows() {
        var table = card ? card.querySelector("table.criteria") : null;
        if (!table) return [];
        return refs.map(function (r) { return table.tBodies[0].rows[parseInt(r, 10) - 1]; }).filter(Boolean);
      }
      mark.addEventListener("mouseenter", function () { rows().forEach(function (tr) { tr.classList.add("linked"); }); });
      mark.addEventListener("mouseleave", function () { rows().forEach(function (tr) { tr.classList.remove("linked"); }); });
    });
  }

  function init(root) {
    clearDone(root);
    root.querySelectorAll("textarea[data-draft-key]").forEach(initAnswer);
    root.querySelectorAll("[data-timer-minutes]").forEach(initTimer);
    root.querySelectorAll("canvas[data-chart]").forEach(initChart);
    initHighlights(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.busy").forEach(function (f) { f.classList.remove("busy"); });
  });

  // -- htmx: the follow-up is answered in place ------------------------------------------------

  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var body = xhr.responseText || "";
    var hasTarget = body.indexOf('id="follow-up"') !== -1;
    if ((xhr.status === 422 || xhr.status === 413) && hasTarget) {
      event.detail.shouldSwap = true;   // the form again, with the reason and the text kept
      event.detail.isError = false;
      return;
    }
    if (xhr.status < 400 && !hasTarget) {
      event.detail.shouldSwap = false;  // somewhere else now (e.g. another tab moved on)
      window.location.assign(xhr.responseURL || window.location.href);
      return;
    }
    if (xhr.status >= 400) {
      event.detail.shouldSwap = false;
      var form = event.detail.requestConfig && event.detail.requestConfig.elt;
      var message = "casecoach could not take this answer (HTTP " + xhr.status + "). Your draft is kept.";
      try {
        var doc = new DOMParser().parseFromString(body, "text/html");
        var text = doc.querySelector(".error-message, main p");
        if (text && text.textContent.trim()) message = text.textContent.trim();
      } catch (e) { /* keep the generic message */ }
      if (form && form.tagName === "FORM") { form.classList.remove("busy"); showError(form, message); }
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.classList) elt.classList.remove("busy");
  });
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (form && form.tagName === "FORM") {
      form.classList.remove("busy");
      showError(form, "casecoach is not reachable right now. Your draft is kept in this browser.");
    }
  });
})();
