// socialcare agent console, the spike banners: loaded after console.js, whose helpers
// ($, api, esc, showView, refresh, quietly) it uses; same policy.
"use strict";

// ---- Open spike alerts (/v1/alerts?status=open), polled while the page is open: one
// banner each (the newest few); a click searches for what spiked. ----

const ALERTS_EVERY_MS = 30000;
const ALERTS_SHOWN = 3;
const SEARCHABLE = ["intent", "language", "platform"];  // the search form's selects

function plural(n, one, many) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

// "06:46" today, else with the date: when the spike began, in the agent's time zone.
function sinceText(since) {
  const start = new Date(since);
  const time = start.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return start.toDateString() === new Date().toDateString()
    ? time : `${start.toLocaleDateString()} ${time}`;
}

// What spiked: the first term, else the spiked counts ("intent=defect,language=kk").
function alertSubject(alert) {
  return alert.terms[0] || alert.dimensions[0] || alert.intent || "traffic";
}

function alertText(alert) {
  return `Spike: ${alertSubject(alert)} — ${plural(alert.events, "message", "messages")} in ` +
    `${plural(alert.languages.length, "language", "languages")} on ` +
    `${plural(alert.platforms.length, "platform", "platforms")} since ${sinceText(alert.since)} ` +
    `(×${alert.factor.toFixed(1)} usual)`;
}

// The search for an alert: its first term, or the filters of its spiked counts.
function searchAlert(alert) {
  $("search-form").reset();
  if (alert.terms.length) {
    $("q").value = alert.terms[0];
  } else {
    for (const pair of (alert.dimensions[0] || "").split(",")) {
      const [name, value] = pair.split("=");
      if (!SEARCHABLE.includes(name)) continue;
      // The language choices come from the last results' facets: it may be missing.
      if (![...$(name).options].some((o) => o.value === value)) $(name).append(new Option(value, value));
      $(name).value = value;
    }
  }
  showView("results");
  refresh();
}

function alertBanner(alert) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "spike";
  button.dataset.alertId = alert.alert_id;
  button.textContent = alertText(alert);
  button.title = "Search for it";
  button.addEventListener("click", () => searchAlert(alert));
  return button;
}

async function loadAlerts() {
  if (!sessionStorage.getItem(KEY)) return;
  // Background: a poll that went well leaves an error the agent has not read yet.
  const body = await api("/v1/alerts", { query: { status: "open", size: ALERTS_SHOWN }, background: true });
  $("alerts").replaceChildren(...body.alerts.slice(0, ALERTS_SHOWN).map(alertBanner));
  $("alerts").hidden = !body.alerts.length;
}

$("key-form").addEventListener("submit", () => quietly(loadAlerts)());
quietly(loadAlerts)();
setInterval(quietly(loadAlerts), ALERTS_EVERY_MS);
