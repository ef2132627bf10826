// socialcare agent console: a thin client of the search API (same origin).
// The page runs under a strict Content-Security-Policy: no inline script, no style
// attributes (colours come from classes in console.css), nothing from other origins.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY = "socialcare.apiKey";
const INTENT_COLORS = { defect: "#c93c3c", order_issue: "#f08a24", shipping: "#2f5bea",
                        praise: "#2c8a4b", other: "#8a8f9c" };
// Languages written right to left: their messages read RTL even when they open with
// a Latin @handle, which would make dir="auto" pick left-to-right.
const RTL_LANGUAGES = new Set(["ar", "fa", "he", "ur", "ps", "yi", "ckb"]);
const SENTIMENT_COLORS = { negative: "#c93c3c", neutral: "#8a8f9c", positive: "#2c8a4b" };
let cursor = null;

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, params = {}) {
  const key = sessionStorage.getItem(KEY);
  if (!key) { showError("Enter your API key to start."); throw new Error("no key"); }
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) query.append(name, value);
  }
  const response = await fetch(`${path}${query.size ? "?" + query : ""}`,
                               { headers: { "X-API-Key": key } });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    // Every error of the API is a Problem: {status, detail, errors}.
    const detail = typeof body?.detail === "string" ? body.detail : response.statusText;
    const what = response.status === 401 || response.status === 403
      ? "The API refused the key" : `The API answered ${response.status}`;
    showError(`${what}: ${detail}`);
    throw new Error(detail);
  }
  showError("");
  return body;
}

function dueText(event) {
  if (event.direction === "outbound") return "";
  if (event.response) {
    return `<span class="due ${event.response.answered_late ? "late" : ""}">answered${
      event.response.answered_late ? " late" : ""}</span>`;
  }
  const due = event.routing?.first_response_due_at;
  if (!due) return "";
  const minutes = Math.round((new Date(due) - Date.now()) / 60000);
  const span = (m) => (Math.abs(m) >= 120 ? `${Math.round(Math.abs(m) / 60)} h` : `${Math.abs(m)} min`);
  return minutes < 0
    ? `<span class="due late">overdue by ${span(minutes)}</span>`
    : `<span class="due">due in ${span(minutes)}</span>`;
}

function card(event, highlight, options = {}) {
  const c = event.classification || {};
  const r = event.routing || {};
  const li = document.createElement("li");
  li.className = `card ${event.direction}`;
  li.dataset.eventId = event.event_id;
  li.dataset.conversationId = event.conversation_id;
  const author = event.author.handle || event.author.display_name || event.author.id;
  li.innerHTML = `
    <div class="meta">
      <span class="badge lang" title="language">${esc(c.language)}</span>
      <span class="badge intent" title="intent">${esc(c.intent)}</span>
      <span class="badge ${esc(c.sentiment)}" title="sentiment">${esc(c.sentiment)}</span>
      ${r.priority ? `<span class="badge ${esc(r.priority)}" title="priority">${esc(r.priority)}</span>` : ""}
      <span>${esc(event.platform)} · ${esc(event.kind)} · ${esc(author)}</span>
      <span>${new Date(event.created_at).toLocaleString()}</span>
      ${dueText(event)}
    </div>
    <div class="text" dir="${RTL_LANGUAGES.has(c.language) ? "rtl" : "auto"}">${highlight ?? esc(event.text || "(attachment only)")}</div>
    ${options.details ? `<div class="meta">
      intent ${esc(c.intent)} ${((c.intent_scores || {})[c.intent] ?? 0).toFixed(2)} ·
      sentiment ${esc(c.sentiment)} · queue ${esc(r.queue)} · rule ${esc(r.rule)}
      ${r.needs_translation ? " · needs translation" : ""}</div>` : ""}`;
  if (!options.details && event.direction !== "outbound") {
    li.addEventListener("click", () => openConversation(event.conversation_id));
  }
  return li;
}

function formParams() {
  const params = {};
  for (const name of ["q", "platform", "language", "intent", "sentiment", "queue", "priority", "sort"]) {
    params[name] = $(name).value;
  }
  if ($("since").value) params.since = `${$("since").value}T00:00:00Z`;
  if ($("until").value) params.until = `${$("until").value}T23:59:59Z`;
  params.sla_breached = $("sla").value;
  return params;
}

function fillOptions(select, counts) {
  const chosen = select.value;
  const first = select.options[0];
  select.replaceChildren(first, ...Object.entries(counts).map(([value, n]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = `${value} (${n})`;
    return option;
  }));
  select.value = chosen;
}

async function search(reset = true) {
  if (reset) cursor = null;
  const body = await api("/v1/search", { ...formParams(), cursor, size: 20 });
  showView("results");
  if (reset) $("results").replaceChildren();
  for (const hit of body.hits) $("results").append(card(hit.event, hit.highlight));
  $("summary").textContent = `${body.total.toLocaleString()} messages`;
  fillOptions($("language"), body.facets.language || {});
  fillOptions($("queue"), body.facets.queue || {});
  cursor = body.next_cursor;
  $("more").hidden = !cursor;
}

function showView(which) {
  $("results-view").hidden = which !== "results";
  $("detail-view").hidden = which !== "detail";
}

async function openConversation(id) {
  const body = await api(`/v1/conversations/${encodeURIComponent(id)}`);
  showView("detail");
  $("detail-title").textContent = `Conversation ${id}`;
  $("detail").replaceChildren(...body.events.map((e) => card(e, null, { details: true })));
  const customer = body.events.find((e) => e.direction === "inbound") || body.events[0];
  $("detail-links").innerHTML = `
    <a href="#" id="history-link">Customer history</a>
    <a href="#" id="similar-link">Similar messages</a>`;
  $("history-link").onclick = (e) => { e.preventDefault(); openHistory(customer); };
  $("similar-link").onclick = (e) => { e.preventDefault(); openSimilar(customer); };
}

async function openHistory(event) {
  const body = await api(`/v1/authors/${encodeURIComponent(event.platform)}/${encodeURIComponent(event.author.id)}/history`);
  showView("detail");
  $("detail-title").textContent = `History of ${event.author.handle || event.author.id} on ${event.platform}: ` +
    `${body.total} messages in ${body.conversations.length} conversations`;
  $("detail").replaceChildren(...body.events.map((e) => card(e, null, { details: true })));
}

async function openSimilar(event) {
  const body = await api(`/v1/similar/${encodeURIComponent(event.event_id)}`);
  showView("detail");
  $("detail-title").textContent = "Messages similar to: " + (event.text || event.event_id);
  $("detail").replaceChildren(...body.similar.map((h) => card(h.event, null, { details: true })));
}

async function dashboard() {
  const { since, until } = formParams();
  const body = await api("/v1/stats", { since, until, interval: "day" });
  $("dash-total").textContent = body.total.toLocaleString();
  $("dash-breached").textContent = body.sla_breached.toLocaleString();
  $("dash-languages").textContent = Object.entries(body.language).slice(0, 5)
    .map(([lang, n]) => `${lang} ${n}`).join(" · ") || "–";
  $("dash-sentiment").textContent = Object.entries(body.sentiment)
    .map(([s, n]) => `${s} ${n}`).join(" · ") || "–";
  drawChart($("dash-chart"), body.over_time, "intent", INTENT_COLORS);
  drawChart($("dash-sentiment-chart"), body.over_time, "sentiment", SENTIMENT_COLORS);
  $("dash-legend").innerHTML = Object.entries(INTENT_COLORS)
    .map(([intent]) => `<span><i class="swatch-${intent}"></i>${intent}</span>`).join("");
}

// Stacked bars per time bucket: one colour per label of `field` (intent or sentiment).
function drawChart(svg, buckets, field, colors) {
  const width = svg.clientWidth || 300, height = 60;
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const barWidth = buckets.length ? width / buckets.length : width;
  let bars = "";
  buckets.forEach((bucket, i) => {
    let y = height;
    for (const [label, color] of Object.entries(colors)) {
      const h = ((bucket[field][label] || 0) / max) * height;
      y -= h;
      if (h > 0) bars += `<rect x="${i * barWidth + 1}" y="${y}" width="${Math.max(1, barWidth - 2)}" height="${h}" fill="${color}"><title>${esc(bucket.start.slice(0, 10))} ${label}: ${bucket[field][label]}</title></rect>`;
    }
  });
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.innerHTML = bars;
}

async function refresh() {
  try { await Promise.all([search(true), dashboard()]); } catch { /* shown in the banner */ }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("api-key").value);
  $("key-state").textContent = "key set for this session";
  refresh();
});
$("search-form").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
$("more").addEventListener("click", () => search(false).catch(() => {}));
$("back").addEventListener("click", () => showView("results"));

if (sessionStorage.getItem(KEY)) {
  $("key-state").textContent = "key set for this session";
  refresh();
}
