"use strict";
// The live view: numbers and rows come already worded by the server (in the reader's
// language and the venue's time zone), so this only puts them in place. No inline script:
// the Content-Security-Policy allows scripts from this site only.
const venue = document.body.dataset.venue;
const words = document.getElementById("live-texts").dataset;  // the catalogue's, in the page's language
const lang = document.documentElement.lang;

function fill(id, rows, cells, empty) {
  const tbody = document.getElementById(id);
  const labels = tbody.dataset.labels.split("|");
  tbody.replaceChildren();
  if (!rows.length) {
    const td = tbody.insertRow().insertCell();
    td.colSpan = labels.length; td.className = "empty"; td.textContent = empty;
    return;
  }
  for (const r of rows) {
    const row = tbody.insertRow();
    if (r.id) row.id = `${id}-${r.id}`;
    cells(r).forEach(([text, cls], i) => {
      const td = row.insertCell();
      td.textContent = text ?? "";
      td.dataset.label = labels[i];  // the column's name above each value on a narrow screen
      if (cls) td.className = cls;
      // Names, codes and kiosk ids are data, not words: translators and checks leave them be.
      if (cls === "data") td.translate = false;
    });
  }
}

// The hourly chart is redrawn by the server once a minute (every 20th refresh), not every 3 s.
let turn = 0;

function redraw(markup) {
  const old = document.getElementById("hourly");
  const wasOpen = old.querySelector("details").open;
  old.outerHTML = markup;  // the server's own escaped markup, never the visitors' words
  document.getElementById("hourly").querySelector("details").open = wasOpen;
}

async function refresh() {
  const status = document.getElementById("status");
  const chart = turn++ % 20 === 19 ? "&chart=1" : "";
  try {
    const r = await fetch(`/venues/${encodeURIComponent(venue)}/live.json?lang=${lang}${chart}`,
                          {credentials: "same-origin", cache: "no-store"});
    if (!r.ok) throw new Error(r.status);
    const d = await r.json();
    for (const k of ["entries", "exits", "inside", "refused"]) {
      document.getElementById(k).textContent = d.counts[k];
    }
    fill("kiosks", d.kiosks, (k) => [[k.id, "data"], [k.state, k.online ? "online" : "offline"], [k.seen], [k.queue], [k.lists, k.lists_old ? "stale" : ""]],
         words.noneKiosks);
    fill("refusals", d.refusals, (e) => [[e.clock], [e.kiosk, "data"], [e.direction], [e.reason, "reason"], [e.name, "data"]],
         words.noneRefusals);
    fill("recent", d.recent, (e) => [[e.clock], [e.kiosk, "data"], [e.direction], [e.result, e.verdict], [e.name, "data"], [e.code, "data"]],
         words.noneRecent);
    if (d.chart) redraw(d.chart);
    status.textContent = d.status;
    status.classList.remove("lost");
  } catch (err) {
    status.textContent = words.lost;
    status.classList.add("lost");
  }
}
refresh();
setInterval(refresh, 3000);
