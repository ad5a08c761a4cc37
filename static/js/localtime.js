// Shows <time class="local-time"> elements in the time zone of the device that opens the page,
// written as the rest of the page writes times (its data-locale: en-GB's 24-hour day-month, not
// plain "en"'s 12-hour month-day), else in the page's language (<html lang>), never the device's.
(function () {
  var options = { weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  document.querySelectorAll("time.local-time").forEach(function (element) {
    var language = element.dataset.locale || document.documentElement.lang || undefined;
    var start = new Date(element.getAttribute("datetime"));
    var end = element.dataset.end ? new Date(element.dataset.end) : null;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var text = start.toLocaleString(language, options);
    if (end) { text += "–" + end.toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" }); }
    element.textContent = text + " (" + zone + ")";
  });
})();
