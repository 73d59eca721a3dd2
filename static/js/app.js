/* Paper Club: small progressive enhancements. Every page works without this file.
 *
 * - <button data-copy="element-id" hidden>: shown when the Clipboard API exists,
 *   copies the named input's value (or element's text) and says so.
 * - <form data-confirm="Question?">: asks before submitting (destructive actions) and
 *   adds confirmed=1 on "yes" (clubs/confirming.py answers a POST without it).
 * - <input data-browser-zone>: the sign-up form's zone field, set to the browser's own
 *   zone (Intl) when the page loads; without this file it keeps its default, UTC.
 * - <details id="..." data-keep-open>: stays as the reader left it (open or shut)
 *   when htmx swaps in a fresh copy, as the dashboard's refresh does every 20 s.
 * - .chart__scroll (a statistics chart wider than a phone): starts scrolled to
 *   its right end, where the latest sessions are.
 * - <html class="htmx-ready"> once htmx is loaded, for what only script needs
 *   (the backlog hides Apply: its filters apply as they change).
 *
 * No inline handlers: the Content-Security-Policy allows scripts from /static/ only.
 */
(function () {
  "use strict";

  function enableCopyButtons(root) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (button.dataset.copyReady) {
        return;
      }
      button.dataset.copyReady = "1";
      button.hidden = false;
      var label = button.innerHTML;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source) {
          return;
        }
        var text = "value" in source ? source.value : source.textContent.trim();
        navigator.clipboard.writeText(text).then(
          function () {
            button.textContent = "Copied";
            window.setTimeout(function () {
              button.innerHTML = label;
            }, 2000);
          },
          function () {
            window.getSelection().selectAllChildren(source);
          }
        );
      });
    });
  }

  // Capture phase, so the dialog comes before htmx's own submit handler on the form.
  // A "yes" adds confirmed=1, which the server's confirm_first wants; without it (no
  // JavaScript) the server answers with a confirmation page instead of acting.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      var question = form.getAttribute("data-confirm");
      if (!question) {
        return;
      }
      if (!window.confirm(question)) {
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      if (!form.querySelector('input[name="confirmed"]')) {
        var confirmed = document.createElement("input");
        confirmed.type = "hidden";
        confirmed.name = "confirmed";
        confirmed.value = "1";
        form.appendChild(confirmed);
      }
    },
    true
  );

  function proposeBrowserZone(root) {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return;
    }
    if (!zone) {
      return;
    }
    root.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
      if (input.value === input.defaultValue) {
        input.value = zone;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      document.documentElement.classList.add("htmx-ready");
    }
    enableCopyButtons(document);
    document.querySelectorAll(".chart__scroll").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
    });
    proposeBrowserZone(document);
  });

  // Content swapped in by htmx gets the same treatment.
  // The open state of <details data-keep-open> by id, read just before a swap.
  var keptOpen = {};

  document.addEventListener("htmx:beforeSwap", function () {
    keptOpen = {};
    document.querySelectorAll("details[data-keep-open][id]").forEach(function (details) {
      keptOpen[details.id] = details.open;
    });
  });

  function restoreKeptOpen(root) {
    var found = root.querySelectorAll("details[data-keep-open][id]");
    found.forEach(function (details) {
      if (Object.prototype.hasOwnProperty.call(keptOpen, details.id)) {
        details.open = keptOpen[details.id];
      }
    });
  }

  document.addEventListener("htmx:load", function (event) {
    enableCopyButtons(event.target);
    restoreKeptOpen(event.target);
  });
})();
