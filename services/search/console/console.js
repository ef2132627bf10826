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
// While a change an agent made travels through the pipeline: how often the console
// looks again, and for how long before it stops waiting (no websocket).
const FOLLOW_EVERY_MS = 2500;
const FOLLOW_FOR_MS = 90000;
let cursor = null;
let inboxCursor = null;
let list = "inbox";          // the list the agent works in: "inbox" or "search"
let current = null;          // the conversation open in the detail view: {id, state}
let following = null;        // the timer of followChange

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// One call of the API: a GET with `query`, or a POST of `json`. Errors go to the
// banner (and throw); `background` calls (polling) leave the banner as it is on success,
// so they do not wipe an error the agent has not read yet, and fail into it only when
// it is empty, so they do not replace one either.
async function api(path, { query = {}, json, background = false } = {}) {
  const key = sessionStorage.getItem(KEY);
  if (!key) { showError("Enter your API key to start."); throw new Error("no key"); }
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== "" && value !== null && value !== undefined) search.append(name, value);
  }
  const init = { headers: { "X-API-Key": key } };
  if (json !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(`${path}${search.size ? "?" + search : ""}`, init);
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    // Every error of the API is a Problem: {status, detail, errors}; the detail is
    // written for a person (e.g. WhatsApp's 24 h window), so it is shown verbatim.
    const detail = typeof body?.detail === "string" ? body.detail : response.statusText;
    const what = response.status === 401 || response.status === 403
      ? "The API refused the key" : `The API answered ${response.status}`;
    if (!background || $("error").hidden) showError(`${what}: ${detail}`);
    throw new Error(detail);
  }
  if (!background) showError("");
  return body;
}

function dueText(event) {
  if (event.direction === "outbound") return "";
  if (event.response) {
    return `<span class="due ${event.response.answered_late ? "late" : ""}">answered${
      event.response.answered_late ? " late" : ""}</span>`;
  }
  return deadlineText(event.routing?.first_response_due_at);
}

// "due in 40 min" / "overdue by 3 h" for a first-response deadline (none: nothing).
function deadlineText(due) {
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
    li.addEventListener("click", () => quietly(openConversation)(event.conversation_id));
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

function fillOptions(select, counts, withCounts = true) {
  const chosen = select.value;
  const first = select.options[0];
  select.replaceChildren(first, ...Object.entries(counts).map(([value, n]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = withCounts ? `${value} (${n})` : value;
    return option;
  }));
  select.value = chosen;
}

async function search(reset = true) {
  if (reset) cursor = null;
  const body = await api("/v1/search", { query: { ...formParams(), cursor, size: 20 } });
  showView("results");
  if (reset) $("results").replaceChildren();
  for (const hit of body.hits) $("results").append(card(hit.event, hit.highlight));
  $("summary").textContent = `${body.total.toLocaleString()} messages`;
  fillOptions($("language"), body.facets.language || {});
  fillOptions($("queue"), body.facets.queue || {});
  cursor = body.next_cursor;
  $("more").hidden = !cursor;
}

// Three lists (the inbox, the search results, the metrics) and the detail of one
// thread. The list's filters (the inbox's, the search form and dashboard, the metrics
// range) stay above a thread opened from it.
function showView(which) {
  if (which !== "detail") list = which === "results" ? "search" : which;
  $("inbox-form").hidden = list !== "inbox";
  $("search-panel").hidden = list !== "search";
  $("metrics-form").hidden = list !== "metrics";
  $("inbox-view").hidden = which !== "inbox";
  $("results-view").hidden = which !== "results";
  $("metrics-view").hidden = which !== "metrics";
  $("detail-view").hidden = which !== "detail";
  for (const name of ["inbox", "search", "metrics"]) {
    $(`tab-${name}`).classList.toggle("current", list === name);
  }
}

// A thread in the detail view; `conversation` (its id and state) when it is one
// conversation, which the agent can then act on.
function showThread(title, events, conversation = null) {
  showView("detail");
  $("detail-title").textContent = title;
  $("detail").replaceChildren(...events.map((e) => card(e, null, { details: true })));
  $("conversation-state").hidden = !conversation;
  $("actions").hidden = !conversation;
  $("detail-links").replaceChildren();
}

async function openConversation(id) {
  const body = await api(`/v1/conversations/${encodeURIComponent(id)}`);
  if (current?.id !== id) {
    $("reply-text").value = "";
    $("action-state").textContent = "";
  }
  renderConversation(body);
}

function renderConversation(body) {
  const id = body.conversation_id;
  current = { id, state: body.state };
  showThread(`Conversation ${id}`, body.events, current);
  renderState(body.state);
  const customer = body.events.find((e) => e.direction === "inbound") || body.events[0];
  const language = body.state?.language || customer?.classification?.language;
  // The agent answers in the customer's language: a Persian reply is typed right to left.
  $("reply-text").dir = RTL_LANGUAGES.has(language) ? "rtl" : "auto";
  if (!customer) return;  // a state without its messages indexed yet
  $("detail-links").innerHTML = `
    <a href="#" id="history-link">Customer history</a>
    <a href="#" id="similar-link">Similar messages</a>`;
  $("history-link").onclick = (e) => { e.preventDefault(); quietly(openHistory)(customer); };
  $("similar-link").onclick = (e) => { e.preventDefault(); quietly(openSimilar)(customer); };
}

const STATUS_TEXT = { open: "open — waiting for us", waiting_customer: "waiting for the customer",
                      resolved: "resolved" };

function renderState(state) {
  const rows = state ? [
    ["Status", `<span class="status ${esc(state.status)}">${esc(STATUS_TEXT[state.status] || state.status)}</span>`],
    ["Assignee", esc(state.assignee || "unassigned")],
    ["Deadline", state.first_response_at
      ? `answered ${esc(new Date(state.first_response_at).toLocaleString())}`
      : state.first_response_due_at
        ? `${esc(new Date(state.first_response_due_at).toLocaleString())} ${deadlineText(state.first_response_due_at)}`
        : "none"],
    ["Queue", esc(state.queue || "–")],
    ["Priority", esc(state.priority || "–")],
  ] : [["Status", "not known yet: the pipeline has not reported this conversation"]];
  $("conversation-state").innerHTML = rows.map(([name, value]) =>
    `<div><dt>${name}</dt><dd>${value}</dd></div>`).join("");
  // Unknown state: both allowed, the API decides.
  $("resolve").disabled = state?.status === "resolved";
  $("reopen").disabled = Boolean(state) && state.status !== "resolved";
}

async function openHistory(event) {
  const body = await api(`/v1/authors/${encodeURIComponent(event.platform)}/${encodeURIComponent(event.author.id)}/history`);
  showThread(`History of ${event.author.handle || event.author.id} on ${event.platform}: ` +
    `${body.total} messages in ${body.conversations.length} conversations`, body.events);
}

async function openSimilar(event) {
  const body = await api(`/v1/similar/${encodeURIComponent(event.event_id)}`);
  showThread("Messages similar to: " + (event.text || event.event_id), body.similar.map((h) => h.event));
}

async function dashboard() {
  const { since, until } = formParams();
  // No interval: the API picks the bucket that suits the range (minutes to months).
  const body = await api("/v1/stats", { query: { since, until } });
  $("dash-total").textContent = body.total.toLocaleString();
  $("dash-breached").textContent = body.sla_breached.toLocaleString();
  $("dash-languages").textContent = Object.entries(body.language).slice(0, 5)
    .map(([lang, n]) => `${lang} ${n}`).join(" · ") || "–";
  $("dash-sentiment").textContent = Object.entries(body.sentiment)
    .map(([s, n]) => `${s} ${n}`).join(" · ") || "–";
  drawChart($("dash-chart"), body.over_time, "intent", INTENT_COLORS, body.interval);
  drawChart($("dash-sentiment-chart"), body.over_time, "sentiment", SENTIMENT_COLORS, body.interval);
  $("dash-legend").innerHTML = Object.entries(INTENT_COLORS)
    .map(([intent]) => `<span><i class="swatch-${intent}"></i>${intent}</span>`).join("");
}

// A bucket's start as its interval reads: the time for minutes and hours, else the day.
function bucketLabel(start, interval) {
  return ["minute", "hour"].includes(interval) ? start.slice(0, 16).replace("T", " ") : start.slice(0, 10);
}

// Stacked bars per time bucket: one colour per label of `field` (intent or sentiment).
function drawChart(svg, buckets, field, colors, interval = "day") {
  const width = svg.clientWidth || 300, height = 60;
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const barWidth = buckets.length ? width / buckets.length : width;
  let bars = "";
  buckets.forEach((bucket, i) => {
    let y = height;
    for (const [label, color] of Object.entries(colors)) {
      const h = ((bucket[field][label] || 0) / max) * height;
      y -= h;
      if (h > 0) bars += `<rect x="${i * barWidth + 1}" y="${y}" width="${Math.max(1, barWidth - 2)}" height="${h}" fill="${color}"><title>${esc(bucketLabel(bucket.start, interval))} ${label}: ${bucket[field][label]}</title></rect>`;
    }
  });
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.innerHTML = bars;
}

async function refresh() {
  try { await Promise.all([search(true), dashboard()]); } catch { /* shown in the banner */ }
}

// ---- The inbox: open conversations (waiting for us), soonest deadline first. ----

function inboxParams() {
  const params = {};
  for (const name of ["queue", "language", "platform", "priority", "assignee"]) {
    params[name] = $(`inbox-${name}`).value.trim();
  }
  return params;
}

// Loads overlap (the agent changes a filter while a background refresh is out): only
// the latest one may draw, or an older answer replaces the list the agent asked for.
let inboxLoad = 0;

async function loadInbox(reset = true, background = false) {
  const load = ++inboxLoad;
  // A background refresh keeps as many conversations as the agent paged to.
  const shown = $("inbox").children.length;
  const size = reset && background ? Math.min(Math.max(20, shown), 500) : 20;
  const cursor = reset ? null : inboxCursor;
  const body = await api("/v1/inbox",
                         { query: { ...inboxParams(), cursor, size }, background });
  if (load !== inboxLoad) return;
  if (reset) $("inbox").replaceChildren();
  for (const conversation of body.conversations) $("inbox").append(inboxCard(conversation));
  $("inbox-summary").textContent = `${body.total.toLocaleString()} open conversations, soonest deadline first`;
  inboxCursor = body.next_cursor;
  $("inbox-more").hidden = !inboxCursor;
}

function inboxCard(state) {
  const li = document.createElement("li");
  li.className = "card conversation";
  li.dataset.conversationId = state.conversation_id;
  li.innerHTML = `
    <div class="meta">
      ${state.language ? `<span class="badge lang" title="language">${esc(state.language)}</span>` : ""}
      ${state.priority ? `<span class="badge ${esc(state.priority)}" title="priority">${esc(state.priority)}</span>` : ""}
      <span>${esc(state.platform)} · ${esc(state.queue || "no queue")}</span>
      <span>${esc(state.assignee ? `assigned to ${state.assignee}` : "unassigned")}</span>
      <span>waiting since ${new Date(state.last_inbound_at || state.opened_at).toLocaleString()}</span>
      ${deadlineText(state.first_response_due_at)}
    </div>
    <div class="title">${esc(state.conversation_id)}</div>`;
  li.addEventListener("click", () => quietly(openConversation)(state.conversation_id));
  return li;
}

// The inbox has no facets: its queue and language choices are those of the messages.
async function loadInboxChoices() {
  const body = await api("/v1/stats", { query: { interval: "week" }, background: true });
  fillOptions($("inbox-language"), body.language, false);
  fillOptions($("inbox-queue"), body.queue, false);
}

function openInbox() {
  showView("inbox");
  quietly(loadInbox)();
}

// ---- Actions on the open conversation. The API answers 202 once the action is on
// support.actions; the pipeline carries it out a moment later, so each action says
// what it waits for, and the console follows the conversation until it shows. ----

const ACTIONS = {
  reply: { path: "replies", pending: "Sent — waiting for the platform",
           done: () => (s) => s?.status !== "open", finished: "Answered — waiting for the customer" },
  note: { path: "notes", pending: "Note added", done: null },
  assign: { path: "assign", pending: "Assigning…", finished: "Assigned",
            // "me" is whatever agent the key names: wait for the assignee to change.
            done: (body, before) => (s) => (body.agent === "me"
              ? (s?.assignee ?? null) !== (before?.assignee ?? null) : s?.assignee === body.agent) },
  resolve: { path: "resolve", pending: "Resolving…", done: () => (s) => s?.status === "resolved",
             finished: "Resolved" },
  reopen: { path: "reopen", pending: "Reopening…", done: () => (s) => s?.status === "open",
            finished: "Reopened — waiting for us" },
};

async function act(name, body = {}) {
  const action = ACTIONS[name];
  const { id, state } = current;
  // One click, one action: no second request while the first is on its way.
  $("action-fields").disabled = true;
  try {
    await api(`/v1/conversations/${encodeURIComponent(id)}/${action.path}`, { json: body });
  } finally {
    $("action-fields").disabled = false;
  }
  $("action-state").textContent = action.pending;
  if (name === "reply" || name === "note") $("reply-text").value = "";
  if (action.done) followChange(id, action.done(body, state), action.finished);
}

// Look at the conversation (and refresh the inbox) every few seconds until `done(state)`
// holds or FOLLOW_FOR_MS has passed: a reply leaves the inbox once the platform took it
// and the pipeline marked the conversation waiting_customer.
function followChange(id, done, finished) {
  clearTimeout(following);
  const until = Date.now() + FOLLOW_FOR_MS;
  const tick = async () => {
    let body = null;
    try {
      body = await api(`/v1/conversations/${encodeURIComponent(id)}`, { background: true });
      await loadInbox(true, true);
    } catch { /* in the banner; the next tick tries again */ }
    const shown = current?.id === id && !$("detail-view").hidden;
    if (body && shown) renderConversation(body);
    if (body && done(body.state)) {
      if (shown) $("action-state").textContent = finished;
    } else if (Date.now() < until) {
      following = setTimeout(tick, FOLLOW_EVERY_MS);
    }
  };
  following = setTimeout(tick, FOLLOW_EVERY_MS);
  quietly(loadInbox)(true, true);
}

// Event handlers: a failed request has already said why in the banner.
function quietly(fn) {
  return (...args) => fn(...args).catch(() => {});
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("api-key").value);
  $("key-state").textContent = "key set for this session";
  openInbox();
  quietly(loadInboxChoices)();
});
$("tab-inbox").addEventListener("click", openInbox);
$("tab-search").addEventListener("click", () => {
  showView("results");
  if (!$("results").children.length) refresh();
});
$("inbox-form").addEventListener("submit", (event) => { event.preventDefault(); quietly(loadInbox)(); });
$("inbox-more").addEventListener("click", () => quietly(loadInbox)(false));
$("search-form").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
$("more").addEventListener("click", () => quietly(search)(false));
$("back").addEventListener("click", () => ({ inbox: openInbox, metrics: openMetrics }[list]
  || (() => showView("results")))());
$("reply-send").addEventListener("click", () => quietly(act)("reply", { text: $("reply-text").value }));
$("note-add").addEventListener("click", () => quietly(act)("note", { text: $("reply-text").value }));
$("assign-me").addEventListener("click", () => quietly(act)("assign", { agent: "me" }));
$("assign-other").addEventListener("click", () => quietly(act)("assign", { agent: $("assign-agent").value.trim() }));
$("resolve").addEventListener("click", () => quietly(act)("resolve"));
$("reopen").addEventListener("click", () => quietly(act)("reopen"));

showView("inbox");
if (sessionStorage.getItem(KEY)) {
  $("key-state").textContent = "key set for this session";
  openInbox();
  quietly(loadInboxChoices)();
}
