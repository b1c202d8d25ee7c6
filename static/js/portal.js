/*
 * crisi_portal — small behaviours, no inline scripts (strict CSP).
 *  - marks <html> with class "js" (the no-JS fallbacks hide themselves);
 *  - sends the CSRF token on every htmx request (X-CSRFToken from <meta name="csrf-token">);
 *  - data-autosubmit: a control submits its form when it changes;
 *  - data-confirm="message": buttons/links/forms ask for confirmation first;
 *  - tables get their column names on each cell (data-label) for the phone layout.
 * Loaded with `defer` BEFORE htmx and the Bootstrap Italia bundle (see base.html).
 */

// The Bootstrap Italia bundle includes video.js, which otherwise injects a <style> element at
// load time — refused by our CSP. Its rules are in bootstrap-italia.min.css anyway.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;

(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // (a) CSRF on htmx requests. Non-GET only would be enough for Django, but sending it always
  // is harmless and keeps hx-get forms that switch method working.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // (b) Auto-submit. Delegated so it also works on content swapped in by htmx.
  // requestSubmit() fires the submit event, so htmx-enhanced forms (hx-get/hx-post) are
  // handled by htmx and plain forms navigate normally.
  function autosubmit(event) {
    var el = event.target;
    if (!(el instanceof Element) || !el.hasAttribute("data-autosubmit")) {
      return;
    }
    var form = el.form || el.closest("form");
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }
  document.addEventListener("change", autosubmit);

  // Text inputs with data-autosubmit submit after the user stops typing.
  var typingTimer = null;
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (
      !(el instanceof HTMLInputElement) ||
      !el.hasAttribute("data-autosubmit") ||
      ["text", "search", "number"].indexOf(el.type) === -1
    ) {
      return;
    }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () {
      autosubmit({ target: el });
    }, parseInt(el.getAttribute("data-autosubmit-delay") || "400", 10));
  });

  // (c) Confirm dialogs. Capture phase, so the refusal stops the click before htmx or the
  // browser act on it. Works on <button>, <input type=submit>, <a> and on <form> (submit).
  document.addEventListener(
    "click",
    function (event) {
      var el = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
      if (!el || el.tagName === "FORM") {
        return;
      }
      if (!window.confirm(el.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }
    },
    true
  );

  // "Add another" for Django formsets: clones the <template> given by data-template into
  // data-target, replacing __prefix__ with the next index and bumping TOTAL_FORMS.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-form]");
    if (!button) {
      return;
    }
    var prefix = button.getAttribute("data-add-form");
    var template = document.getElementById(button.getAttribute("data-template"));
    var target = document.getElementById(button.getAttribute("data-target"));
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!template || !target || !total) {
      return;
    }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    target.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = target.lastElementChild && target.lastElementChild.querySelector("input, select");
    if (first) {
      first.focus();
    }
  });

  // data-clear-target="#id": empties that element instead of following the link
  // (closes an htmx panel; without JavaScript the link still leads somewhere sensible).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-clear-target]");
    if (!link) {
      return;
    }
    var target = document.querySelector(link.getAttribute("data-clear-target"));
    if (target) {
      event.preventDefault();
      target.innerHTML = "";
    }
  });

  // A refused form puts its error summary first and moves the focus there, so the user
  // (and a screen reader) learns at once that nothing was saved and why.
  function focusSummary(root) {
    var summary = (root || document).querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusSummary(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusSummary(event.target);
  });

  // data-select-all="name": a header checkbox that ticks every checkbox with that name.
  document.addEventListener("change", function (event) {
    var master = event.target.closest("[data-select-all]");
    if (!master) {
      return;
    }
    var name = master.getAttribute("data-select-all");
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = master.checked;
    });
  });

  // The header text of each column, grouped headers (colspan, rowspan) joined: "Workers per
  // step · STEP 1".
  function columnHeaders(table) {
    var grid = [];
    Array.prototype.forEach.call(table.querySelectorAll("thead tr"), function (row, r) {
      grid[r] = grid[r] || [];
      var c = 0;
      Array.prototype.forEach.call(row.children, function (th) {
        while (grid[r][c] !== undefined) {
          c += 1;
        }
        var text = th.textContent.replace(/\s+/g, " ").trim();
        for (var dr = 0; dr < (th.rowSpan || 1); dr += 1) {
          grid[r + dr] = grid[r + dr] || [];
          for (var dc = 0; dc < (th.colSpan || 1); dc += 1) {
            grid[r + dr][c + dc] = text;
          }
        }
        c += th.colSpan || 1;
      });
    });
    var columns = grid.length ? grid[0].length : 0;
    var labels = [];
    for (var col = 0; col < columns; col += 1) {
      var parts = [];
      grid.forEach(function (row) {
        var text = row[col];
        if (text && parts.indexOf(text) === -1) {
          parts.push(text);
        }
      });
      labels.push(parts.join(" · "));
    }
    return labels;
  }

  // Tables on phones (portal.css, "Widths"): each cell gets its column's header as data-label,
  // and the table the class table-stack, so that below 576 px each row shows as a card.
  function labelTables(root) {
    (root || document).querySelectorAll("table.table-portal").forEach(function (table) {
      var headers = columnHeaders(table);
      if (!headers.length) {
        return;
      }
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (headers[index] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", headers[index]);
          }
        });
      });
      table.classList.add("table-stack");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    labelTables(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    labelTables(event.target);
  });
})();
