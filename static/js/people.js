// People pickers that search as you type: an input with list="people" gets, after a short pause,
// the people whose name or email holds what was typed, from the server (data-search on the
// datalist), instead of a page that carries the whole directory. Without script, the field
// still takes an email or a person's exact name.
(function () {
  var list = document.getElementById("people");
  if (!list || !list.dataset.search || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = "";
  function fill(people) {
    list.textContent = "";
    people.forEach(function (person) {
      var option = document.createElement("option");
      option.value = person.email;
      option.textContent = person.name + (person.unit ? ", " + person.unit : "");
      list.appendChild(option);
    });
  }
  function search(text) {
    if (text === asked) {
      return;
    }
    asked = text;
    if (text.length < 1) {
      fill([]);
      return;
    }
    fetch(list.dataset.search + "?q=" + encodeURIComponent(text), {credentials: "same-origin",
                                                                   headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {people: []}; })
      .then(function (answer) { if (text === asked) { fill(answer.people || []); } })
      .catch(function () {});
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[list='people']")) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { search(input.value.trim()); }, 150);
  });
})();
