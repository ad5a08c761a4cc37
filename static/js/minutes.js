// The minutes editor: saves the whole content to the server a few seconds after typing stops and
// when a field loses focus, and keeps a copy in this browser's localStorage until the server has
// it, so nothing is lost when the session expires: after signing in again, the page finds the
// unsaved copy and saves it.
(function () {
  "use strict";
  var editor = document.getElementById("minutes-editor");
  if (!editor || editor.getAttribute("data-editable") !== "yes") { return; }
  var form = document.getElementById("minutes-form");
  var status = document.getElementById("save-status");
  var key = "minutes-draft-" + editor.getAttribute("data-meeting");
  var timer = null;
  var saving = false;
  var again = false;
  var needLogin = false;  // signed out: keep everything here until the page is loaded again
  var lang = document.documentElement.lang || "en";
  // The words shown come translated from the page (data-say-*).
  var words = { saving: editor.getAttribute("data-say-saving"), saved: editor.getAttribute("data-say-saved"),
                kept: editor.getAttribute("data-say-kept"), login: editor.getAttribute("data-say-login"),
                signIn: editor.getAttribute("data-say-sign-in") };

  function intOrNull(value) { return value ? parseInt(value, 10) : null; }

  function collect() {
    var body = { notes: [], decisions: [], actions: [] };
    form.querySelectorAll("section.minutes-item").forEach(function (section) {
      var item = intOrNull(section.getAttribute("data-item"));
      var note = section.querySelector("textarea.note").value;
      if (note.trim()) { body.notes.push({ agenda_item_id: item, text: note }); }
      section.querySelector("textarea.decisions").value.split("\n").forEach(function (line) {
        if (line.trim()) { body.decisions.push({ agenda_item_id: item, text: line.trim() }); }
      });
    });
    form.querySelectorAll("tr.action-row").forEach(function (row) {
      var title = row.querySelector(".a-title").value.trim();
      var owner = row.querySelector(".a-owner").value.trim();
      var due = row.querySelector(".a-due").value;
      var id = intOrNull(row.getAttribute("data-id"));
      // A new row is sent once it is complete (a half-typed one is not an error yet); a saved one always.
      if (!id && !(title && owner && due)) { return; }
      body.actions.push({ id: intOrNull(row.getAttribute("data-id")), title: title, owner_email: owner, due: due,
                          agenda_item_id: intOrNull(row.querySelector(".a-item").value) });
    });
    return body;
  }

  function fill(body) {
    form.querySelectorAll("section.minutes-item").forEach(function (section) {
      var item = intOrNull(section.getAttribute("data-item"));
      var note = body.notes.filter(function (n) { return n.agenda_item_id === item; })[0];
      section.querySelector("textarea.note").value = note ? note.text : "";
      section.querySelector("textarea.decisions").value = body.decisions
        .filter(function (d) { return d.agenda_item_id === item; }).map(function (d) { return d.text; }).join("\n");
    });
    var rows = form.querySelector("#actions-table tbody");
    rows.innerHTML = "";
    body.actions.forEach(function (a) {
      var row = addRow();
      row.setAttribute("data-id", a.id || "");
      row.querySelector(".a-title").value = a.title || "";
      row.querySelector(".a-owner").value = a.owner_email || "";
      row.querySelector(".a-due").value = a.due || "";
      row.querySelector(".a-item").value = a.agenda_item_id || "";
    });
  }

  function addRow() {
    var template = document.getElementById("action-row-template");
    var row = template.content.firstElementChild.cloneNode(true);
    form.querySelector("#actions-table tbody").appendChild(row);
    return row;
  }

  function say(text, link) {
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = editor.getAttribute("data-login-url");
      a.textContent = " " + words.signIn;
      a.id = "sign-in-again";
      status.appendChild(a);
    }
  }

  function keepLocally() {
    try { localStorage.setItem(key, JSON.stringify({ dirty: true, body: collect() })); } catch (e) { /* full */ }
  }

  function save() {
    clearTimeout(timer);
    if (needLogin) { return; }
    if (saving) { again = true; return; }
    saving = true;
    var body = collect();
    say(words.saving);
    fetch(editor.getAttribute("data-save-url"), {
      method: "PUT", credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": editor.getAttribute("data-csrf") },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (saved) {
          // New actions got their ids: the next save changes them instead of adding them again.
          var rows = form.querySelectorAll("tr.action-row");
          var kept = [];
          rows.forEach(function (row) {
            var complete = row.querySelector(".a-title").value.trim() && row.querySelector(".a-owner").value.trim() &&
              row.querySelector(".a-due").value;
            if (row.getAttribute("data-id") || complete) { kept.push(row); }
          });
          saved.actions.forEach(function (a, i) { if (kept[i]) { kept[i].setAttribute("data-id", a.id); } });
          if (JSON.stringify(collect()) === JSON.stringify(body)) { localStorage.removeItem(key); }
          say(words.saved + new Date().toLocaleTimeString(lang));
        });
      }
      if (response.status === 401 || response.status === 400 || response.type === "opaqueredirect") {
        needLogin = true;
        say(words.login, true);
        return null;
      }
      return response.json().then(function (answer) {
        var fields = answer.error.fields || {};
        var first = Object.keys(fields)[0];
        say(words.kept + (first ? first + ": " + fields[first][0] : answer.error.message));
      });
    }).catch(function () { say(words.kept); }).then(function () {
      saving = false;
      if (again) { again = false; save(); }
    });
  }

  function changed() {
    keepLocally();
    clearTimeout(timer);
    timer = setTimeout(save, 3000);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", function () { if (localStorage.getItem(key)) { save(); } });
  var add = document.getElementById("add-action");
  if (add) { add.addEventListener("click", function () { addRow().querySelector(".a-title").focus(); }); }

  // A copy the server never got (the session expired, the network dropped): put it back, save it.
  var local = null;
  try { local = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { local = null; }
  if (local && local.dirty && local.body) {
    fill(local.body);
    save();
  }
})();
