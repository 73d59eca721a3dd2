/* Paper Club: small progressive enhancements. Every page works without this file.
 *
 * - <button data-copy="element-id" hidden>: shown when the Clipboard API exists,
 *   copies the named input's value (or element's text) and says so.
 * - <form data-confirm="Question?">: asks before submitting (destructive actions).
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    enableCopyButtons(document);
  });

  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    enableCopyButtons(event.target);
  });
})();
