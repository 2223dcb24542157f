/* Keyboard focus in the Create / Edit panel, and Escape to close it.

   Progressive enhancement: without this script the panel works the same (every button posts the
   whole form); only focus is left where the browser puts it.

   The server renders the whole panel again after every button and every select that re-renders
   it, so the control that had focus is replaced and focus would fall back to <body>. After each
   swap of #panel, focus goes where the user's next step is:
   - an answer with errors (4xx): the first alert, that is the error summary (or the refusal);
   - "+ Add", "+ Select Workload And Add Label" (the picker opens) or the picker's OK: the first
     control of what was added (a "Remove" only when nothing else was added); after OK or Cancel
     with nothing added, the picker's "+ Select Workload And Add Label" again;
   - "Remove": the same "Remove" button, now the next row's; else the previous row's; else the
     list's "+ Add";
   - Next: the review's heading;
   - otherwise the control used (a select that re-renders), else the panel's heading.
   When the panel opens (the editor page loads), its heading takes focus. */
(function () {
  "use strict";

  // A control's identity across renders: its name; for a button (name "op") its op too.
  function key(el) {
    return el.name === "op" ? "op=" + el.value : el.name;
  }

  function isRemove(el) {
    return el.name === "op" && el.value.startsWith("remove:");
  }

  function controls(root) {
    return Array.from(root.querySelectorAll("input:not([type=hidden]), select, textarea, button"))
      .filter((el) => el.name && !el.disabled && el.tabIndex >= 0);
  }

  function heading(panel) {
    return panel.querySelector("#review-title") || panel.querySelector("#panel-title");
  }

  let pending = null; // what the user just did in the panel, noted before the request

  document.addEventListener("htmx:beforeRequest", (evt) => {
    const panel = evt.detail.target;
    if (!panel || panel.id !== "panel") return;
    const trigger = evt.detail.requestConfig && evt.detail.requestConfig.triggeringEvent;
    const cause = (trigger && trigger.submitter) || document.activeElement;
    const used = cause && panel.contains(cause) && cause.name ? cause : null;
    pending = {
      op: used && used.name === "op" ? used.value : "",
      key: used ? key(used) : "",
      before: new Set(controls(panel).map(key)),
    };
  });

  function next(panel, done, failed) {
    if (failed) return panel.querySelector("[role=alert]");
    const now = controls(panel);
    const find = (k) => now.find((el) => key(el) === k);
    const [verb, path] = done.op.split(/:(.*)/s);
    if (verb === "add" || verb === "pick" || verb === "pick-open") {
      // The picker's own "+ Select Workload And Add Label" comes back after OK: not what was added.
      const added = now.filter((el) => !done.before.has(key(el)) && !key(el).startsWith("op=pick-open:"));
      const first = added.find((el) => !isRemove(el)) || added[0];
      if (first) return first;
      if (verb === "pick") return find("op=pick-open:" + path);
    } else if (verb === "pick-cancel") {
      return find("op=pick-open:" + path);
    } else if (verb === "remove") {
      const index = path.match(/\[(\d+)\]$/);
      const list = path.replace(/\[\d+\]$/, "");
      const previous = index && index[1] > 0 ? `${list}[${index[1] - 1}]` : "";
      return find("op=remove:" + path) || (previous && find("op=remove:" + previous)) ||
        find("op=add:" + list) || find("op=add:" + list + ".rules");
    } else if (verb === "next") {
      return panel.querySelector("#review-title");
    }
    return done.key ? find(done.key) : null;
  }

  document.addEventListener("htmx:afterSettle", (evt) => {
    const panel = document.getElementById("panel");
    if (!pending || !panel || !evt.detail.target || evt.detail.target.id !== "panel") return;
    const done = pending;
    pending = null;
    const failed = evt.detail.xhr && evt.detail.xhr.status >= 400;
    const el = next(panel, done, failed) || heading(panel);
    if (el) el.focus();
  });

  // The element of a field id, else of the nearest enclosing part that has one (an error at
  // "podSelector.labels" goes to the Pod Selector's rows, one at "ingress[0].ports" to the rule).
  function fieldOf(id) {
    for (let at = id; at.length > 2; at = at.replace(/-[^-]*$/, "")) {
      const el = document.getElementById(at);
      if (el) return el;
    }
    return null;
  }

  // A link of the error summary takes the user to its field: focus it, not just scroll to it.
  document.addEventListener("click", (evt) => {
    const link = evt.target.closest && evt.target.closest("#panel [role=alert] a[href^='#']");
    const field = link && fieldOf(decodeURIComponent(link.hash.slice(1)));
    if (!field) return;
    field.focus();
    if (document.activeElement === field) {
      evt.preventDefault();
      field.scrollIntoView({ block: "center" });
    }
  });

  // Escape closes the panel, as its Cancel (×) does.
  document.addEventListener("keydown", (evt) => {
    if (evt.key !== "Escape" || evt.defaultPrevented) return;
    const close = document.querySelector("#panel .close");
    if (close) close.click();
  });

  const panel = document.getElementById("panel");
  if (panel) heading(panel).focus();
})();

/* What the pages once did in inline attributes, which the Content-Security-Policy now forbids
   (no inline script, no htmx hx-on, which needs eval):
   - data-swap-errors="403 404": an htmx answer with one of these statuses inside this element is
     swapped in (it carries the page's own message) instead of being treated as an error;
   - data-copy="ID" on a hidden button: shown where the clipboard can be written, it copies the
     text of element ID and then reads its data-done;
   - data-select-on-focus: a read-only field (a secret shown once) is selected when focused. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", (evt) => {
    const holder = evt.target.closest && evt.target.closest("[data-swap-errors]");
    if (!holder || !evt.detail.xhr) return;
    if (holder.dataset.swapErrors.split(/\s+/).includes(String(evt.detail.xhr.status))) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  function showCopyButtons(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("button[data-copy]").forEach((button) => { button.hidden = false; });
  }
  showCopyButtons(document);
  document.addEventListener("htmx:load", (evt) => showCopyButtons(evt.target));

  document.addEventListener("click", (evt) => {
    const button = evt.target.closest && evt.target.closest("button[data-copy]");
    const source = button && document.getElementById(button.dataset.copy);
    if (!source) return;
    navigator.clipboard.writeText(source.textContent).then(() => {
      if (button.dataset.done) button.textContent = button.dataset.done;
    });
  });

  document.addEventListener("focusin", (evt) => {
    if (evt.target.matches && evt.target.matches("input[data-select-on-focus]")) evt.target.select();
  });
})();
