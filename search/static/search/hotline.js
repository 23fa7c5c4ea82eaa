// Progressive enhancement of the Q&A search: results as you type and copy buttons.
// Without JavaScript the same form submits normally and the text can be selected by hand.
(function () {
  "use strict";
  var form = document.querySelector("[data-live-search]");
  var results = document.getElementById("qa-results");
  if (!form || !results || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var timer = null, controller = null, lastUrl = "";

  function enableCopy(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("button.copy").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target) return;
        navigator.clipboard.writeText(target.innerText.trim()).then(function () {
          var label = button.textContent;
          button.textContent = "已复制";
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });
  }

  function search() {
    var params = new URLSearchParams(new FormData(form));
    if (!params.get("q").trim()) return;
    var url = form.getAttribute("action") || window.location.pathname;
    var pageUrl = url + "?" + params.toString();
    if (pageUrl === lastUrl) return;
    lastUrl = pageUrl;
    params.set("partial", "1");
    if (controller) controller.abort();
    controller = new AbortController();
    fetch(url + "?" + params.toString(), {signal: controller.signal, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        var fresh = box.querySelector("#qa-results");
        if (!fresh) return;
        results.replaceWith(fresh);
        results = fresh;
        enableCopy(results);
        history.replaceState(null, "", pageUrl);
        var gap = document.getElementById("id_gap_query");
        if (gap) gap.value = input.value;
        var gapNext = document.getElementById("id_gap_next");
        if (gapNext) gapNext.value = pageUrl;
      })
      .catch(function () { /* keep the previous results; the plain form still works */ });
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  form.addEventListener("change", function (e) { if (e.target !== input) search(); });
  enableCopy(results);
  if (input && document.activeElement !== input) input.focus();
})();
