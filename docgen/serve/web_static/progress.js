// Progressive enhancement for pages that show work in progress (a batch, a template's page
// images). Without JavaScript the page says where things stand and offers a "Check progress"
// link; with it, this asks the page's progress address every few seconds, puts the news in the
// page's polite live region (a screen reader hears it without losing its place), and reloads the
// page once, when the work is done. No meta refresh: WCAG 2.2.1, failure F41.
(function () {
  "use strict";
  var region = document.querySelector("[data-docgen-progress]");
  if (!region || !window.fetch || !window.DOMParser) {
    return;
  }
  var address = region.getAttribute("data-docgen-progress");
  var link = document.querySelector("[data-docgen-check-progress]");
  if (link) {
    link.hidden = true; // the region updates itself
  }
  var every = 2000;
  function ask() {
    fetch(address, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fragment = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
        if (!fragment) {
          throw new Error("empty");
        }
        var text = fragment.textContent.replace(/\s+/g, " ").trim();
        if (fragment.getAttribute("data-docgen-done") === "true") {
          window.location.reload(); // once: the finished page has no region to poll
          return;
        }
        if (region.textContent.replace(/\s+/g, " ").trim() !== text) {
          region.textContent = text;
        }
        window.setTimeout(ask, every);
      })
      .catch(function () {
        if (link) {
          link.hidden = false; // signed out, or the server is away: the link still works
        }
      });
  }
  window.setTimeout(ask, every);
})();
