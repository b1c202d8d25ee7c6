/*
 * Report archive, "Generate now": the period select offers the periods of every report type
 * (one optgroup each, so the form works without JavaScript and the server names a mismatch).
 * Here, when the type changes, only its periods stay offered and the last completed one is
 * chosen — unless the user already chose one of that type.
 * The suggestions come from a json_script element named by the select's
 * data-period-suggestions attribute (no inline script: strict CSP).
 */
(function () {
  "use strict";

  // The report type a period code belongs to: 2025 annual, 2025-Q3 quarterly, 2025-B3 bimonthly.
  function kindOf(code) {
    if (/^\d{4}$/.test(code)) {
      return "annual";
    }
    return /-Q\d$/.test(code) ? "quarterly" : "bimonthly";
  }

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

  function follow(kindSelect) {
    var periods = suggestions(kindSelect) || {};
    var period = kindSelect.form && kindSelect.form.elements.namedItem("period");
    if (!(period instanceof HTMLSelectElement)) {
      return;
    }
    var kind = kindSelect.value;
    // Each optgroup is labelled as its report type is in the type select: a type whose periods
    // have several spans (the PAL monitoring report: quarters and years) keeps its own group.
    var chosenKind = kindSelect.options[kindSelect.selectedIndex];
    var kindLabel = chosenKind ? chosenKind.text : "";
    var labelled = Array.prototype.some.call(period.querySelectorAll("optgroup"), function (g) {
      return g.label === kindLabel;
    });
    Array.prototype.forEach.call(period.querySelectorAll("optgroup"), function (group) {
      var other = true;
      Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
        var mine = labelled ? group.label === kindLabel : kindOf(option.value) === kind;
        option.disabled = !mine;
        option.hidden = !mine;
        other = other && !mine;
      });
      group.hidden = other;
    });
    var chosen = period.options[period.selectedIndex];
    if ((!chosen || chosen.disabled) && periods[kind]) {
      // The same code may sit in several groups (a quarter is quarterly's and PAL's): the
      // offered one.
      Array.prototype.some.call(period.options, function (option) {
        if (option.value === periods[kind] && !option.disabled) {
          option.selected = true;
          return true;
        }
        return false;
      });
    }
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-period-suggestions")) {
      follow(select);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(
      document.querySelectorAll("select[data-period-suggestions]"),
      follow
    );
  });
})();
