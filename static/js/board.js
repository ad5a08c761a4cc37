// Refreshes the answer counts of the RSVP board while people answer.
(function () {
  var box = document.querySelector("dl.live[data-source]");
  if (!box) { return; }
  function set(scope, counts) {
    Object.keys(counts).forEach(function (key) {
      var cell = scope.querySelector('[data-count="' + key + '"]');
      if (cell) { cell.textContent = counts[key]; }
    });
  }
  function refresh() {
    fetch(box.getAttribute("data-source"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        set(box, data.total);
        ["by_site", "by_role"].forEach(function (group) {
          var table = document.querySelector('table[data-group="' + group + '"]');
          if (!table) { return; }
          Object.keys(data[group]).forEach(function (name) {
            var row = Array.prototype.find.call(table.querySelectorAll("tr[data-name]"), function (tr) {
              return tr.getAttribute("data-name") === name;
            });
            if (row) { set(row, data[group][name]); }
          });
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  setInterval(refresh, 15000);
})();
