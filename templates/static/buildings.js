/* Relais — buildings: picking one while typing (new request), and an import's progress. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 250;

  function picker(box) {
    var input = box.querySelector("#building_search");
    var chosen = box.querySelector("#building_id");
    var results = box.querySelector("#building-results");
    var lots = box.querySelector("#lot-options");
    var form = box.closest("form");
    var timer = null;
    var asked = null;

    function clear() { results.replaceChildren(); results.hidden = true; }

    function fill(card) {
      form.querySelector("#site_address").value = card.address;
      form.querySelector("#access_notes").value = card.access_notes;
      lots.replaceChildren();
      card.lots.forEach(function (lot) {
        var option = document.createElement("option");
        option.value = lot.number;
        option.label = [lot.number, lot.floor, lot.occupant].filter(Boolean).join(" · ");
        lots.appendChild(option);
      });
    }

    function pick(building) {
      chosen.value = building.id;
      input.value = building.name + " — " + building.address;
      clear();
      fetch(box.dataset.cardUrl + encodeURIComponent(building.id) + "/card", {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (card) { if (card) { fill(card); } });
    }

    function show(found) {
      clear();
      found.forEach(function (building) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "suggestion";
        button.textContent = building.name + " — " + building.address;
        button.addEventListener("click", function () { pick(building); });
        item.appendChild(button);
        results.appendChild(item);
      });
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "hint";
        none.textContent = box.dataset.noneText;
        results.appendChild(none);
      }
      results.hidden = false;
    }

    function ask() {
      var typed = input.value.trim();
      if (typed.length < 2) { clear(); return; }
      if (asked) { asked.abort(); }
      asked = new AbortController();
      fetch(box.dataset.searchUrl + "?q=" + encodeURIComponent(typed), {credentials: "same-origin", signal: asked.signal})
        .then(function (r) { return r.ok ? r.json() : {buildings: []}; })
        .then(function (body) { show(body.buildings); })
        .catch(function () { /* aborted by the next keystroke */ });
    }

    input.addEventListener("input", function () {
      chosen.value = "";  /* typing again drops the building picked before */
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DEBOUNCE_MS);
    });
  }

  function progress(box) {
    var bar = box.querySelector("progress");
    var label = box.querySelector("#import-status");
    var token = box.querySelector("input[name=csrf]").value;
    function step() {
      fetch(box.dataset.advanceUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body: "csrf=" + encodeURIComponent(token)
      }).then(function (r) { return r.json(); }).then(function (job) {
        bar.max = Math.max(job.total, 1);
        bar.value = job.done;
        label.textContent = Math.round(100 * job.done / Math.max(job.total, 1)) + " %";
        if (job.status === "running" || job.status === "rolling_back") { step(); } else { window.location.reload(); }
      }).catch(function () { label.textContent = box.dataset.failedText; });
    }
    step();
  }

  /* A file over the limit would not even reach the server (a Lambda request carries 6 MB): said here. */
  function sizeCheck(form) {
    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]").files[0];
      if (file && file.size > Number(form.dataset.maxBytes)) {
        event.preventDefault();
        window.alert(form.dataset.tooLargeText);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var upload = document.querySelector("form.building-upload");
    if (upload) { sizeCheck(upload); }
    var box = document.querySelector(".building-picker");
    if (box) { picker(box); }
    var running = document.querySelector(".import-running");
    if (running) { progress(running); }
  });
})();
