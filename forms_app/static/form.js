// Applies each question's visible_if live, as the server does on every save (which stays the authority).
// Also: a part above its whole (`at_most`) said beside it as the unit types, per-section progress, and one click
// submits once. No dependencies; the form works without it. Every sentence comes from the page, never from here.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("answer-form");
  if (!form) return;
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".question"));
  var conditions = {};
  blocks.forEach(function (b) {
    var raw = b.getAttribute("data-visible-if");
    if (raw) { try { conditions[b.dataset.question] = JSON.parse(raw); } catch (e) { /* shown, server decides */ } }
  });

  function valueOf(block) {
    var type = block.dataset.type, id = block.dataset.question;
    var inputs = block.querySelectorAll('[name="' + id + '"]');
    if (type === "multi_choice") {
      var chosen = [];
      inputs.forEach(function (i) { if (i.checked) chosen.push(i.value); });
      return chosen.length ? chosen : null;
    }
    if (type === "boolean" || type === "single_choice") {
      var picked = null;
      inputs.forEach(function (i) { if (i.checked) picked = i.value; });
      if (picked === null) return null;
      return type === "boolean" ? picked === "true" : picked;
    }
    if (type === "file") {
      var kept = block.querySelector('[name="' + id + '__keep"]');
      var removed = block.querySelector('[name="' + id + '__remove"]');
      var file = inputs.length && inputs[0].files && inputs[0].files.length;
      return file || (kept && !(removed && removed.checked)) ? "file" : null;
    }
    var text = inputs.length ? inputs[0].value.trim() : "";
    if (text === "") return null;
    if (type === "integer" || type === "number") {
      var n = parseNumber(text, type);
      return isNaN(n) ? text : n;
    }
    return text;
  }

  // A number as the server reads it (forms.parse_integer / parse_number): on a Vietnamese page "1.240" and
  // "1 240" are one thousand two hundred and forty, "12,5" is twelve and a half; NaN when it is not a number.
  var english = (document.documentElement.lang || "vi").slice(0, 2) === "en";
  function parseNumber(raw, type) {
    var text = raw.trim().replace(/\u00a0/g, " ");
    if (type === "integer") {
      if (/^-?\d{1,3}([ .,]\d{3})+$/.test(text)) text = text.replace(/[ .,]/g, "");
      return /^-?\d{1,15}$/.test(text) ? Number(text) : NaN;
    }
    var group = english ? "," : ".", decimal = english ? "." : ",";
    var grouped = new RegExp("^-?\\d{1,3}([" + group + " ]\\d{3})+(" + (decimal === "." ? "\\." : ",") + "\\d+)?$");
    if (grouped.test(text)) {
      text = text.split(group).join("").replace(/ /g, "").replace(decimal, ".");
    } else {
      text = text.replace(/ /g, "");
      if (text.split(",").length === 2 && text.indexOf(".") < 0) text = text.replace(",", ".");
    }
    return text.length <= 30 && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  }

  // `at_most`: each part's input names its whole's input; both shown and numbers → the part must not exceed it.
  var parts = Array.prototype.slice.call(form.querySelectorAll("input[data-at-most]"));
  function checkParts() {
    parts.forEach(function (input) {
      var block = input.closest(".question");
      var whole = document.getElementById(input.getAttribute("data-at-most"));
      var wholeBlock = whole && whole.closest(".question");
      var live = document.getElementById(input.id + "-check");
      if (!live || !wholeBlock) return;
      var part = parseNumber(input.value, block.dataset.type);
      var most = parseNumber(whole.value, wholeBlock.dataset.type);
      var shown = !block.hasAttribute("data-hidden") && !wholeBlock.hasAttribute("data-hidden");
      var above = shown && !isNaN(part) && !isNaN(most) && part > most;
      var text = above ? live.getAttribute("data-message").split("{value}").join(input.value.trim())
        .split("{limit}").join(whole.value.trim()) : "";
      if (live.textContent !== text) live.textContent = text;
      var otherErrors = block.querySelector(".field-error");
      block.classList.toggle("has-error", above || !!otherErrors);
      if (above || otherErrors) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    });
  }

  function same(a, b) { return typeof a === typeof b ? a === b : String(a) === String(b) && typeof a !== "boolean" && typeof b !== "boolean"; }

  function holds(c, answers) {
    if (c.all) return c.all.every(function (x) { return holds(x, answers); });
    if (c.any) return c.any.some(function (x) { return holds(x, answers); });
    if (c.not) return !holds(c.not, answers);
    var v = answers[c.question];
    var answered = v !== null && v !== undefined;
    if ("answered" in c) return answered === c.answered;
    if (!answered) return false;
    if ("at_least" in c) return typeof v === "number" && v >= c.at_least;
    var wanted = "in" in c ? c["in"] : [c.equals];
    var values = Array.isArray(v) ? v : [v];
    return values.some(function (x) { return wanted.some(function (w) { return same(x, w); }); });
  }

  function update() {
    var answers = {};
    var counts = {};
    blocks.forEach(function (b) {
      var id = b.dataset.question;
      var c = conditions[id];
      var shown = !c || holds(c, answers);
      if (shown) { b.removeAttribute("data-hidden"); answers[id] = valueOf(b); }
      else { b.setAttribute("data-hidden", ""); answers[id] = null; }
      var section = b.closest("[data-section]").dataset.section;
      counts[section] = counts[section] || [0, 0];
      if (shown) { counts[section][1] += 1; if (answers[id] !== null) counts[section][0] += 1; }
    });
    Object.keys(counts).forEach(function (s) {
      var el = document.querySelector('[data-progress="' + s + '"]');
      if (el) el.textContent = el.textContent.replace(/^\d+\/\d+/, counts[s][0] + "/" + counts[s][1]);
    });
    checkParts();
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();

  // Leaving a page with answers not yet saved asks first: anything typed since the page came, or a page the server
  // sent back with what it could not keep (the error summary). Saving or submitting is not leaving.
  var sending = false;
  var unsaved = !!document.getElementById("error-summary");
  function touched() { unsaved = true; }
  form.addEventListener("input", touched);
  form.addEventListener("change", touched);
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved || sending) return;
    event.preventDefault();
    event.returnValue = "";
  });

  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var carry = document.createElement("input");
      carry.type = "hidden"; carry.name = submitter.name; carry.value = submitter.value;
      form.appendChild(carry);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
