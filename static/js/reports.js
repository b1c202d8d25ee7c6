/*
 * Report archive, "Generate now": when the report kind changes, the period field follows
 * with the last completed period of that kind — unless the user has typed their own.
 * The suggestions come from a json_script element named by the select's
 * data-period-suggestions attribute (no inline script: strict CSP).
 */
(function () {
  "use strict";

  function suggestions(select) {
    var holder = document.getElementById(select.getAttribute("data-period-suggestions"));
    if (!holder) {
      return null;
    }
    try {
      return JSON.parse(holder.textContent);
    } catch (error) {
      return null;
    }
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-period-suggestions")) {
      return;
    }
    var periods = suggestions(select);
    var input = select.form && select.form.elements.namedItem("period");
    if (!periods || !input) {
      return;
    }
    var suggested = periods[select.value] || "";
    var previous = Object.keys(periods).map(function (kind) {
      return periods[kind];
    });
    // Replace the value only if it is empty or one of our own suggestions.
    if (input.value.trim() === "" || previous.indexOf(input.value.trim().toUpperCase()) !== -1) {
      input.value = suggested;
    }
    input.setAttribute("placeholder", suggested);
  });
})();
