// Applies each question's visible_if live, as the server does on every save (which stays the authority).
// Also: a part above its whole (`at_most`) said beside it as the unit types, per-section progress, one click
// submits once, and autosave with a copy kept on this machine (below). No dependencies; the form works without it.
// Every sentence comes from the page (or the server's JSON), never from here.
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
    if (busy) after = event.submitter || form;  // sent once the background save in flight has its new token
    if (sending || busy || heldOffline(event)) { event.preventDefault(); return; }
    sending = true;
    clearTimeout(timer);
    if (key) keep(queued, true);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var carry = document.createElement("input");
      carry.type = "hidden"; carry.name = submitter.name; carry.value = submitter.value;
      form.appendChild(carry);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });

  // Autosave and a copy on this machine, on a page that can be changed: what is typed is kept at once in
  // localStorage under the account's own key (cleared on sign-out by the server: Clear-Site-Data), and saved to the server as a draft
  // 4 s after the last change, in the background (JSON: never a submit, never a file). A save pressed offline is
  // kept and sent once online. The server's answer carries the sentence shown and the next request token.
  var key = form.getAttribute("data-draft-key"), status = document.getElementById("autosave-status");
  var timer = null, edits = 0, savedEdits = 0, busy = false, stopped = false, queued = false, after = null;
  function field(name) { return form.querySelector('[name="' + name + '"]'); }
  function say(text) { status.hidden = !text; status.textContent = text || ""; }
  function typed(el) { return el.name && !/^(file|hidden|submit|button)$/.test(el.type); }
  function values() {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (typed(el) && (el.checked || !/^(checkbox|radio)$/.test(el.type))) pairs.push([el.name, el.value]);
    });
    return pairs;
  }
  function put(pairs) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!typed(el)) return;
      var given = pairs.filter(function (p) { return p[0] === el.name; });
      if (/^(checkbox|radio)$/.test(el.type)) el.checked = given.some(function (p) { return p[1] === el.value; });
      else el.value = given.length ? given[0][1] : "";
    });
    update();
  }
  // Each open page keeps its own copy (key#page): two tabs of one account never overwrite each other's typing.
  var mine = key + "#" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  function keep(isQueued, sent) {
    var copy = {t: Date.now(), base: field("base_revision").value, values: values(), queued: !!isQueued, sent: !!sent};
    try { localStorage.setItem(mine, JSON.stringify(copy)); } catch (e) { /* refused or full: the server's copy stays */ }
  }
  function forget(name) { try { localStorage.removeItem(name || mine); } catch (e) { /* nothing kept */ } }
  function copies() {  // [name, copy] of every page's copy of this form, queued first, then newest first
    var found = [];
    try {
      Object.keys(localStorage).forEach(function (name) {
        if (name.indexOf(key + "#") === 0) found.push([name, JSON.parse(localStorage.getItem(name))]);
      });
    } catch (e) { /* nothing readable */ }
    return found.sort(function (a, b) { return (b[1].queued - a[1].queued) || (b[1].t - a[1].t); });
  }
  function waiting() { return status.getAttribute(queued ? "data-queued" : "data-offline"); }

  function send() {
    if (busy || stopped || sending) return;
    if (!navigator.onLine) { say(waiting()); return; }
    busy = true;
    var sent = edits, body = new FormData(form);
    form.querySelectorAll("input[type=file]").forEach(function (f) { body.delete(f.name); });
    body.set("action", "save");
    fetch(location.href, {method: "POST", body: body, credentials: "same-origin", headers: {"X-Requested-With": "autosave"}})
      .then(function (r) { return r.json().then(function (data) { return [r.status, data]; }, function () { return [r.status, {}]; }); })
      .then(function (answer) {
        var data = answer[1];
        busy = false;
        say(data.message || status.getAttribute("data-failed"));
        if (data.ok) {
          field("base_revision").value = data.base_revision;
          field("request_token").value = data.request_token;
          savedEdits = sent;
          if (edits === sent) { queued = false; unsaved = false; forget(); } else { keep(queued); schedule(); }
        } else if (answer[0] === 503) schedule();
        else { stopped = true; keep(queued); }  // a conflict, a closed form, an ended session: kept on this machine
      }, function () { busy = false; say(waiting()); })
      .then(function () {
        var by = after;
        after = null;
        if (by) form.requestSubmit(by === form ? undefined : by);
      });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { if (edits !== savedEdits || queued) send(); }, 4000);
  }
  function changed() {
    edits += 1;
    if (queued) unsaved = false;  // kept on this machine, sent once online: leaving loses nothing
    keep(queued);
    schedule();
  }

  // A save pressed offline: kept (files cannot be: the unit is told which to choose again) and sent once online.
  function heldOffline(event) {
    if (!key || navigator.onLine) return false;
    queued = true; unsaved = false; keep(true);
    var lines = [waiting()], files = [];
    if (event.submitter && event.submitter.value === "submit") lines.push(status.getAttribute("data-submit-later"));
    form.querySelectorAll("input[type=file]").forEach(function (f) {
      var label = form.querySelector('label[for="' + f.id + '"]');
      if (f.files && f.files.length && label) files.push(label.firstChild.textContent.trim());
    });
    if (files.length) lines.push(status.getAttribute("data-files").replace("{files}", files.join("; ")));
    say(lines.join(" "));
    return true;
  }

  if (key && status) {
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    window.addEventListener("online", function () { if (queued || edits !== savedEdits) send(); });
    window.addEventListener("offline", function () { if (queued || edits !== savedEdits) say(waiting()); });
    var offer = document.getElementById("draft-restore"), base = Number(field("base_revision").value), shown = JSON.stringify(values());
    var left = copies().filter(function (c) {
      var same = !c[1].values || JSON.stringify(c[1].values) === shown || (c[1].sent && !c[1].queued && base > Number(c[1].base));
      if (same) forget(c[0]);  // what it holds is what the server stored (or showed back after a save)
      return !same;
    });
    if (left.length) {
      var name = left[0][0], copy = left[0][1];
      if (copy.queued) {
        forget(name);
        put(copy.values);
        field("base_revision").value = copy.base;  // typed on that revision: someone's later save is not overwritten
        queued = true;
        keep(true);
        send();
      } else if (offer) {
        var at = new Date(copy.t), two = function (n) { return (n < 10 ? "0" : "") + n; };
        offer.querySelector("p").textContent = offer.getAttribute("data-text").replace("{at}", two(at.getHours()) + ":" +
          two(at.getMinutes()) + " " + two(at.getDate()) + "/" + two(at.getMonth() + 1) + "/" + at.getFullYear());
        offer.hidden = false;
        offer.addEventListener("click", function (event) {
          var choice = event.target.value;
          if (!choice) return;
          offer.hidden = true;
          forget(name);
          if (choice === "restore") { put(copy.values); unsaved = true; changed(); }
        });
      }
    }
  }

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
