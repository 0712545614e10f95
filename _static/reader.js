/* Small fixes for readers, loaded on every page (Jupyter Book adds every .js in _static).

   1. Drawers on phones and tablets.  pydata-sphinx-theme 0.17 binds the "open the sidebar drawer" handler
      to the FIRST .primary-toggle / .secondary-toggle of the page, which is a header button that
      sphinx-book-theme hides; the visible ☰ and page-contents buttons in the article header get no
      handler (pydata/pydata-sphinx-theme#2451).  A click on a visible button is forwarded to the first one.
   3. Interface labels that scripts add at run time (sphinx-togglebutton's "Toggle hidden content") in Chinese.
   2. Search results: the snippet is taken from the article only (not the download/print buttons and the
      print-only table of contents above it), and a page found both by its title and by its text is
      listed once.
*/
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------- 1. drawers
  function forwardToggles(selector) {
    var all = document.querySelectorAll(selector);
    if (all.length < 2) { return; }
    var first = all[0];
    Array.prototype.slice.call(all, 1).forEach(function (button) {
      if (button.dataset.cnnbookForward) { return; }
      button.dataset.cnnbookForward = "1";
      button.addEventListener("click", function (event) {
        // Wide screens: sphinx-book-theme's own behaviour of the button (collapse the sidebar) stays.
        if (getComputedStyle(first).display !== "none" && first.offsetParent !== null) { return; }
        var dialog = document.getElementById(
          selector === ".primary-toggle" ? "pst-primary-sidebar-modal" : "pst-secondary-sidebar-modal");
        if (!dialog || dialog.open) { return; }
        event.preventDefault();
        event.stopPropagation();
        first.click();
      });
    });
  }

  // ---------------------------------------------------------------------------------- 2. search
  var UI = [".headerlink", "script", "style", "#jb-print-docs-body", ".bd-header-article",
            ".header-article-items", ".prev-next-area", ".bd-footer-article", ".copybtn", ".toggle-button"];

  function patchSearch() {
    if (typeof Search === "undefined" || Search.cnnbookPatched) { return; }
    Search.cnnbookPatched = true;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      UI.forEach(function (query) {
        doc.querySelectorAll(query).forEach(function (el) { el.remove(); });
      });
      if (anchor) {
        var part = doc.querySelector("[role=\"main\"] " + anchor);
        if (part) { return part.textContent; }
      }
      var main = doc.querySelector("article") || doc.querySelector("[role=\"main\"]");
      return main ? main.textContent : "";
    };
    var perform = Search._performSearch;
    Search._performSearch = function () {
      var results = perform.apply(this, arguments);
      // [docname, title, anchor, descr, score, filename]; the best result is LAST (they are popped).
      // A page's own title found by the title search ("#anchor" of its h1) and by the full-text search
      // ("" anchor) is the same hit: keep the better one.
      var titles = Search._index.titles, docnames = Search._index.docnames, seen = {}, kept = [];
      for (var k = results.length - 1; k >= 0; k--) {
        var r = results[k];
        var doc = docnames.indexOf(r[0]);
        var isPageTitle = doc >= 0 && r[1] === titles[doc];
        var key = r[0] + "\u0000" + r[1];
        if (isPageTitle && seen[key]) { continue; }
        seen[key] = true;
        kept.push(r);
      }
      return kept.reverse();
    };
  }

  // ---------------------------------------------------------------------------------- 3. UI strings
  // Labels that scripts write at run time (the HTML ones are translated by _ext/cnnbook_html.py).
  var LABELS = {
    "Toggle hidden content": "显示/隐藏内容",
    "Copy": "复制",
    "Copied!": "已复制！",
    "Copy to clipboard": "复制到剪贴板"
  };
  function translateLabels(root) {
    (root || document).querySelectorAll("[aria-label], [title], [data-tooltip]").forEach(function (el) {
      ["aria-label", "title", "data-tooltip"].forEach(function (name) {
        var value = el.getAttribute(name);
        if (value && LABELS[value.trim()]) { el.setAttribute(name, LABELS[value.trim()]); }
      });
    });
  }

  function start() {
    forwardToggles(".primary-toggle");
    forwardToggles(".secondary-toggle");
    patchSearch();
    // after the other DOMContentLoaded handlers (sphinx-togglebutton adds its buttons there)
    setTimeout(translateLabels, 0);
    window.addEventListener("load", function () { translateLabels(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
