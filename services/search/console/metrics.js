// socialcare agent console, the Metrics tab: loaded after console.js, whose helpers
// ($, api, esc, bucketLabel, inboxCard, showView, quietly) it uses; same policy.
"use strict";

// ---- The care metrics (/v1/metrics/care): the figures of the conversations opened in
// a range, by group; the deadline met per queue; the open breaches (the inbox, overdue). ----

// A duration as a person reads it: seconds, minutes, hours or days.
function duration(ms) {
  if (ms === null || ms === undefined) return "–";
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(s < 600 ? 1 : 0)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

function percent(share) {
  return share.share === null ? "–" : `${Math.round(share.share * 100)} %`;
}

function metricsRange() {
  const range = {};
  if ($("metrics-since").value) range.since = `${$("metrics-since").value}T00:00:00Z`;
  if ($("metrics-until").value) range.until = `${$("metrics-until").value}T23:59:59Z`;
  return range;
}

// Each tile: the figure, and what it stands on (a dashboard judges a share of 3 apart).
function metricTiles(f) {
  const tiles = [
    ["Opened", f.opened.toLocaleString(), "conversations"],
    ["First response p50 / p90", `${duration(f.first_response.p50_ms)} / ${duration(f.first_response.p90_ms)}`,
     `${f.first_response.count} answered`],
    ["First response in staffed hours", `${duration(f.first_response_business.p50_ms)} / ${duration(f.first_response_business.p90_ms)}`,
     "p50 / p90, the hours the deadline counts"],
    ["Deadline met", percent(f.within_deadline), `${f.within_deadline.count} of ${f.within_deadline.of}`],
    ["Overdue now", f.overdue_unanswered.toLocaleString(), "unanswered past the deadline"],
    ["Resolved", percent(f.resolved), `${f.resolved.count} of ${f.resolved.of}`],
    ["Resolution p50 / p90", `${duration(f.resolution_time.p50_ms)} / ${duration(f.resolution_time.p90_ms)}`,
     `${f.resolution_time.count} resolved`],
    ["Reopened", percent(f.reopened), `${f.reopened.count} of ${f.reopened.of}`],
    ["CSAT", f.csat.count ? `${f.csat.average.toFixed(1)} / 5` : "–",
     `${f.csat.count} answers, ${percent(f.csat.response_rate)} of surveys`],
    ["Negative", percent(sentimentShare(f.sentiment, "negative")),
     "of the conversations, by their latest message"],
  ];
  $("metrics-tiles").innerHTML = tiles.map(([label, value, count]) => `<div class="tile">
    <div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>
    <div class="count">${esc(count)}</div></div>`).join("");
}

function sentimentShare(mix, sentiment) {
  const of = Object.values(mix).reduce((a, b) => a + b, 0);
  return { share: of ? (mix[sentiment] || 0) / of : null, count: mix[sentiment] || 0, of };
}

function groupName(key, groupBy) {
  if (key === null) return "(none)";
  return groupBy === "day" || groupBy === "hour" ? bucketLabel(key, groupBy) : key;
}

// Bars of the conversations opened per group, the share answered in time darker.
function drawGroups(svg, groups, groupBy) {
  const width = svg.clientWidth || 600, height = 90;
  const max = Math.max(1, ...groups.map((g) => g.opened));
  // A few groups stay bars, not a wall.
  const barWidth = Math.min(80, groups.length ? width / groups.length : width);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.innerHTML = groups.map((g, i) => {
    const h = (g.opened / max) * height, x = i * barWidth + 1, w = Math.max(1, barWidth - 2);
    const met = (g.within_deadline.count / max) * height;
    return `<rect x="${x}" y="${height - h}" width="${w}" height="${h}" fill="#b9c7f7"></rect>
      <rect x="${x}" y="${height - met}" width="${w}" height="${met}" fill="#2f5bea"></rect>
      <title>${esc(groupName(g.key, groupBy))}: ${g.opened} opened, ${g.within_deadline.count} answered in time</title>`;
  }).join("");
}

function groupsTable(groups, groupBy) {
  const head = ["", "opened", "first resp. p50", "p90", "deadline met", "resolved", "resolution p50", "reopened",
    "negative", "CSAT"];
  const rows = groups.map((g) => [groupName(g.key, groupBy), g.opened, duration(g.first_response.p50_ms),
    duration(g.first_response.p90_ms), `${percent(g.within_deadline)} (${g.within_deadline.count}/${g.within_deadline.of})`,
    `${percent(g.resolved)} (${g.resolved.count})`, duration(g.resolution_time.p50_ms),
    `${percent(g.reopened)} (${g.reopened.count})`, percent(sentimentShare(g.sentiment, "negative")),
    g.csat.count ? `${g.csat.average.toFixed(1)} (${g.csat.count})` : "–"]);
  return `<tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>` +
    rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`).join("");
}

// The deadline met per queue, with a meter; below 80 % in red.
function slaTable(groups) {
  const rows = groups.map((g) => {
    const share = g.within_deadline.share;
    const width = Math.round((share ?? 0) * 120);
    const level = share === null ? "" : share < 0.8 ? "low" : "ok";
    return `<tr><td>${esc(g.key ?? "(no queue)")}</td>
      <td class="attainment ${level}">${percent(g.within_deadline)}</td>
      <td><svg class="meter" viewBox="0 0 120 10"><rect width="120" height="10" fill="#e3e6ee"></rect>
        <rect width="${width}" height="10" fill="#2f5bea"></rect></svg></td>
      <td>${g.within_deadline.count} of ${g.within_deadline.of}</td><td>${g.overdue_unanswered} overdue now</td></tr>`;
  });
  return `<tr><th>queue</th><th>deadline met</th><th></th><th>answered in time</th><th>open breaches</th></tr>` +
    (rows.join("") || `<tr><td colspan="5" class="muted">no conversations</td></tr>`);
}

async function loadMetrics() {
  const range = metricsRange();
  const groupBy = $("metrics-group").value;
  const [body, queues, breaches] = await Promise.all([
    api("/v1/metrics/care", { query: { ...range, group_by: groupBy } }),
    api("/v1/metrics/care", { query: { ...range, group_by: "queue" } }),
    api("/v1/inbox", { query: { overdue: true, size: 10 } }),
  ]);
  metricTiles(body.overall);
  $("metrics-chart-title").textContent = groupBy
    ? `Conversations opened by ${groupBy.replace("_", " ")} (dark: answered in time)` : "Conversations opened";
  drawGroups($("metrics-chart"), body.groups, groupBy);
  $("metrics-groups").innerHTML = body.groups.length ? groupsTable(body.groups, groupBy) : "";
  $("metrics-sla").innerHTML = slaTable(queues.groups);
  $("metrics-breaches-summary").textContent = `${breaches.total.toLocaleString()} open ${
    breaches.total === 1 ? "conversation" : "conversations"} past the deadline`;
  $("metrics-breaches").replaceChildren(...breaches.conversations.map(inboxCard));
  $("metrics-unavailable").textContent = "Not available yet: " +
    Object.entries(body.unavailable).map(([name, why]) => `${name} (${why})`).join("; ");
}

function openMetrics() {
  showView("metrics");
  quietly(loadMetrics)();
}

$("tab-metrics").addEventListener("click", openMetrics);
$("metrics-form").addEventListener("submit", (event) => { event.preventDefault(); openMetrics(); });
