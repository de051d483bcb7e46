// The back office's small script (the pages work without it): keeps the dashboard's "Adesso" section
// live — the server says on /backoffice/live/stream when the office changed, the section is fetched
// again — and gives the monthly report its print button.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (live && live.dataset.src) {
    let pending = null;
    const refresh = () => {
      if (pending) return;
      pending = setTimeout(async () => {
        pending = null;
        try {
          const response = await fetch(live.dataset.src, { credentials: "same-origin", cache: "no-store" });
          if (response.ok) {
            const html = await response.text();
            const doc = new DOMParser().parseFromString(html, "text/html");
            live.replaceChildren(...doc.body.childNodes);
            live.dataset.updated = String(Date.now());
          }
        } catch (_) {
          // The next change, or the next minute, tries again.
        }
      }, 200);
    };
    if (window.EventSource && live.dataset.stream) {
      const events = new EventSource(live.dataset.stream);
      events.addEventListener("change", refresh);
      events.addEventListener("open", () => { live.dataset.connected = "true"; });
    }
    // The clock moves waits on even when nothing happens.
    setInterval(refresh, 60000);
  }
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
})();
