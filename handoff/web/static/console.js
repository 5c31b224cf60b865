// The clerk console. Everything a citizen typed is put on the page with textContent only,
// never as HTML; the page's CSP forbids inline scripts besides.
"use strict";

// Results of this clerk's own actions, per appointment; kept across live re-renders.
const state = { csrf: null, account: null, feed: null, messages: new Map() };
const $ = (id) => document.getElementById(id);
const TIME = new Intl.DateTimeFormat("el-GR", { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Athens" });

async function api(path, options = {}) {
  const headers = { "Accept": "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = state.csrf || "";
  const response = await fetch(path, { method: options.method || "GET", headers, credentials: "same-origin",
                                       body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return { ok: response.ok, status: response.status, body };
}

function errorText(result) {
  return (result.body && result.body.error && result.body.error.message) || "Κάτι πήγε στραβά. Δοκιμάστε ξανά.";
}

function notice(text) { $("notice").textContent = text; }

function showSignedIn(account) {
  state.account = account;
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("who").hidden = false;
  $("who-name").textContent = `${account.name} (${account.role === "supervisor" ? "προϊστάμενος" : "υπάλληλος"})`;
  loadQueue();
  loadFailed();
  listen();
  $("queue-title").focus?.();
}

function showLogin() {
  state.account = null;
  if (state.feed) { state.feed.close(); state.feed = null; }
  $("workspace").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  document.querySelector("#login-form input[name=username]").focus();
}

function field(dl, label, value) {
  if (!value) return;
  const dt = document.createElement("dt"); dt.textContent = label;
  const dd = document.createElement("dd"); dd.textContent = value;
  dl.append(dt, dd);
}

const STATES = { booked: "Σε αναμονή ανάληψης", in_call: "Σε εξέλιξη" };

function card(item) {
  const node = $("card-template").content.firstElementChild.cloneNode(true);
  node.dataset.reference = item.reference;
  node.querySelector(".when").textContent = TIME.format(new Date(item.start));
  node.querySelector(".when").setAttribute("datetime", item.start);
  node.querySelector(".topic").textContent = item.topic_label;
  node.querySelector(".waiting").hidden = !item.waiting;
  const taken = item.picked_by && !item.picked_by_me ? ` (${item.picked_by})` : "";
  node.querySelector(".state").textContent = (STATES[item.status] || item.status) + taken;
  node.querySelector(".question").textContent = item.question || "(χωρίς ερώτηση)";
  node.querySelector(".confidence").textContent =
    item.confidence == null ? "Θέμα από τον πολίτη" : `Βεβαιότητα θέματος ${Math.round(item.confidence * 100)}%`;
  node.querySelector(".reference").textContent = item.reference;
  node.querySelector(".card-message").textContent = state.messages.get(item.reference) || "";
  const dl = node.querySelector(".citizen");
  field(dl, "Ονοματεπώνυμο", item.citizen.full_name);
  field(dl, "Ταυτότητα", item.citizen.id_card);
  field(dl, "ΑΦΜ", item.citizen.afm);
  field(dl, "ΑΜΚΑ", item.citizen.amka);
  field(dl, "Κινητό", item.citizen.mobile);
  field(dl, "Email", item.citizen.email);
  const turns = node.querySelector(".turns");
  for (const turn of item.transcript) {
    const li = document.createElement("li");
    li.className = turn.sender === "user" ? "user" : "bot";
    li.textContent = turn.text;
    turns.append(li);
  }
  const docs = node.querySelector(".documents");
  for (const d of item.documents) { const li = document.createElement("li"); li.textContent = d; docs.append(li); }
  const links = node.querySelector(".links");
  for (const l of item.links) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = l.url; a.textContent = l.title; a.target = "_blank"; a.rel = "noopener noreferrer";
    li.append(a);
    if (l.helpdesk) li.append(` — ${l.helpdesk}`);
    links.append(li);
  }
  const pickup = node.querySelector(".pickup");
  const isClerk = state.account.role === "clerk";
  pickup.hidden = !isClerk || item.status !== "booked";
  pickup.addEventListener("click", () => pickUp(item.reference, pickup));
  const callLink = node.querySelector(".call-link");
  callLink.hidden = !(item.status === "in_call" && item.picked_by_me);
  callLink.href = `/clerk/call/${encodeURIComponent(item.reference)}`;
  const finish = node.querySelector(".finish");
  finish.hidden = !(item.status === "in_call" && item.picked_by_me);
  finish.addEventListener("submit", (e) => { e.preventDefault(); finishCall(item.reference, new FormData(finish)); });
  const reassign = node.querySelector(".reassign");
  reassign.hidden = !(state.account.role === "supervisor" && item.status === "booked");
  reassign.addEventListener("submit", (e) => { e.preventDefault(); reassignTo(item.reference, new FormData(reassign).get("clerk")); });
  const cancel = node.querySelector(".service-cancel");
  cancel.hidden = !(state.account.role === "supervisor" && item.status === "booked");
  cancel.addEventListener("submit", (e) => { e.preventDefault(); cancelByService(item.reference, new FormData(cancel).get("reason")); });
  return node;
}

const DAY = new Intl.DateTimeFormat("el-GR", { weekday: "long", day: "numeric", month: "long", timeZone: "Europe/Athens" });

// Today first, then the next days, each under its own heading.
function withDayHeadings(items) {
  const nodes = [];
  const today = DAY.format(new Date());
  const tomorrow = DAY.format(new Date(Date.now() + 86400000));
  let current = null;
  for (const item of items) {
    const day = DAY.format(new Date(item.start));
    if (day !== current) {
      current = day;
      const heading = document.createElement("li");
      heading.className = "day";
      heading.textContent = day === today ? `Σήμερα, ${day}` : day === tomorrow ? `Αύριο, ${day}` : day;
      nodes.push(heading);
    }
    nodes.push(card(item));
  }
  return nodes;
}

async function loadQueue() {
  const result = await api("/api/clerk/queue");
  if (result.status === 401) return showLogin();
  if (!result.ok) return notice(errorText(result));
  const list = $("queue");
  const focused = document.activeElement && document.activeElement.closest(".card");
  const focusRef = focused && focused.dataset.reference;
  list.replaceChildren(...withDayHeadings(result.body));
  $("empty").hidden = result.body.length > 0;
  if (focusRef) list.querySelector(`[data-reference="${CSS.escape(focusRef)}"] button:not([hidden])`)?.focus();
}

async function pickUp(reference, button) {
  button.disabled = true;
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/pickup`, { method: "POST", body: {} });
  state.messages.set(reference, result.ok ? `Αναλάβατε το ραντεβού ${reference}.` : errorText(result));
  await loadQueue();
}

async function finishCall(reference, form) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/finish`,
                           { method: "POST", body: { outcome: form.get("outcome"), notes: form.get("notes") || "" } });
  state.messages.set(reference, result.ok ? `Το ραντεβού ${reference} ολοκληρώθηκε.` : errorText(result));
  notice(state.messages.get(reference));
  await loadQueue();
}

async function reassignTo(reference, clerk) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/reassign`, { method: "POST", body: { clerk } });
  state.messages.set(reference, result.ok ? `Το ραντεβού ${reference} ανατέθηκε στον/στην ${clerk}.` : errorText(result));
  await loadQueue();
}

async function cancelByService(reference, reason) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/cancel`, { method: "POST", body: { reason } });
  notice(result.ok ? `Το ραντεβού ${reference} ακυρώθηκε· ο πολίτης θα ενημερωθεί.` : errorText(result));
  await loadQueue();
}

const KINDS = { booked: "Επιβεβαίωση", rescheduled: "Αλλαγή ώρας", cancelled: "Ακύρωση", cancelled_by_service: "Ακύρωση από το ΚΕΠ",
                moved_by_service: "Νέα ώρα από το ΚΕΠ", no_show: "Απουσία", reminder_day: "Υπενθύμιση (μία ημέρα πριν)",
                reminder_hours: "Υπενθύμιση (δύο ώρες πριν)" };
const CHANNELS = { sms: "SMS", email: "email" };

// Supervisors: messages that could not reach a citizen after every retry.
async function loadFailed() {
  if (state.account.role !== "supervisor") return;
  const result = await api("/api/clerk/notifications/failed");
  if (!result.ok) return;
  $("failed-panel").hidden = false;
  $("failed-empty").hidden = result.body.length > 0;
  $("failed").replaceChildren(...result.body.map((f) => {
    const li = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = `${f.reference} · ${KINDS[f.kind] || f.kind}`;
    const why = document.createElement("ul");
    for (const [channel, error] of Object.entries(f.errors)) {
      const item = document.createElement("li");
      item.textContent = `${CHANNELS[channel] || channel}: δεν στάλθηκε (${f.attempts} προσπάθειες)`;
      item.title = error;
      why.append(item);
    }
    const again = document.createElement("button");
    again.type = "button";
    again.textContent = "Αποστολή ξανά";
    again.addEventListener("click", async () => {
      const sent = await api(`/api/clerk/notifications/failed/${encodeURIComponent(f.id)}/send-again`, { method: "POST", body: {} });
      notice(sent.ok ? `Το μήνυμα για το ${f.reference} μπήκε ξανά στην αποστολή.` : errorText(sent));
      loadFailed();
    });
    li.append(title, why, again);
    return li;
  }));
}

const CHANGES = { booked: "Νέο ραντεβού", cancelled: "Ακύρωση", rescheduled: "Αλλαγή ώρας", waiting: "Ο πολίτης μπήκε στην αναμονή",
                  picked_up: "Ανάληψη", finished: "Ολοκλήρωση", no_show: "Ο πολίτης δεν ήρθε", reassigned: "Ανάθεση" };

function listen() {
  if (state.feed) state.feed.close();
  state.feed = new EventSource("/api/clerk/events");
  state.feed.addEventListener("open", () => { $("live").textContent = "· ζωντανή ενημέρωση"; });
  state.feed.addEventListener("error", () => { $("live").textContent = "· επανασύνδεση…"; });
  state.feed.addEventListener("change", (e) => {
    const change = JSON.parse(e.data);
    notice(`${CHANGES[change.kind] || "Αλλαγή"}: ${change.reference}`);
    loadQueue();
  });
}

async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  const list = $("search-results");
  if (!q) { list.replaceChildren(); return; }
  const result = await api(`/api/clerk/search?q=${encodeURIComponent(q)}`);
  if (!result.ok) return notice(errorText(result));
  list.replaceChildren(...result.body.map((r) => {
    const li = document.createElement("li");
    const title = document.createElement("strong"); title.textContent = r.label;
    const procedures = document.createElement("ul");
    for (const p of r.procedures) { const item = document.createElement("li"); item.textContent = p; procedures.append(item); }
    li.append(title, procedures);
    for (const l of r.links) {
      const a = document.createElement("a"); a.href = l.url; a.textContent = l.title; a.target = "_blank"; a.rel = "noopener noreferrer";
      li.append(a, document.createElement("br"));
    }
    return li;
  }));
  if (!result.body.length) { const li = document.createElement("li"); li.textContent = "Δεν βρέθηκε κάτι."; list.append(li); }
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const result = await api("/api/clerk/login", { method: "POST", body: { username: form.get("username"), password: form.get("password") } });
  if (!result.ok) { $("login-error").textContent = errorText(result); return; }
  $("login-error").textContent = "";
  state.csrf = result.body.csrf_token;
  event.target.reset();
  showSignedIn(result.body.account);
}

async function logout() {
  await api("/api/clerk/logout", { method: "POST", body: {} });
  state.csrf = null;
  showLogin();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("search-form").addEventListener("submit", search);
  const me = await api("/api/clerk/me");
  if (me.ok) { state.csrf = me.body.csrf_token; showSignedIn(me.body.account); } else { showLogin(); }
});
