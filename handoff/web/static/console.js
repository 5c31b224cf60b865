// The clerk console. Everything a citizen typed is put on the page with textContent only,
// never as HTML; the page's CSP forbids inline scripts besides.
//
// Live updates never disturb what the clerk is reading: lists are rendered by key (one card
// per appointment), a card that did not change is left alone, and one that did is rebuilt
// with its open sections, typed text and focus carried over.
"use strict";

// Results of this clerk's own actions, per appointment; kept across live updates.
const state = { csrf: null, account: null, feed: null, messages: new Map(), queue: [] };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { "Accept": "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = state.csrf || "";
  const response = await fetch(path, { method: options.method || "GET", headers, credentials: "same-origin",
                                       body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  const result = { ok: response.ok, status: response.status, body };
  // The session is over (logged out elsewhere, a new password, a disabled account): back to
  // the log-in form, saying why.
  if (response.status === 401 && path !== "/api/clerk/login" && state.account) showLogin(errorText(result));
  return result;
}

function errorText(result) {
  const error = result.body && result.body.error;
  if (!error) return "Κάτι πήγε στραβά. Δοκιμάστε ξανά.";
  return error.fields ? Object.values(error.fields).map((f) => f.message).join(" ") : error.message;
}

let noticeTimer = null;
function overlaps(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }

function notice(text) {
  const el = $("notice");
  el.textContent = text;
  // Over the page's foot, unless that is where the clerk is typing: then over its head.
  el.classList.remove("at-top");
  const typing = document.activeElement && document.activeElement.matches("input, textarea, select") && document.activeElement;
  if (typing && overlaps(el.getBoundingClientRect(), typing.getBoundingClientRect())) el.classList.add("at-top");
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { $("notice").textContent = ""; }, 10000);
}

function showSignedIn(account) {
  state.account = account;
  $("login").hidden = true;
  $("workspace").hidden = false;
  $("who").hidden = false;
  const supervisor = account.role !== "clerk"; // a supervisor of one branch, or an administrator of all
  const roleName = { clerk: "υπάλληλος", supervisor: "προϊστάμενος", admin: "διαχειριστής" }[account.role];
  $("who-name").textContent = `${account.name} (${roleName})`;
  $("console-kind").textContent = supervisor ? "· Κονσόλα προϊσταμένου" : "· Κονσόλα υπαλλήλου";
  document.title = `ΚΕΠ Connect — ${supervisor ? "Κονσόλα προϊσταμένου" : "Κονσόλα υπαλλήλου"}`;
  $("queue-name").textContent = !supervisor ? "Τα ραντεβού μου" : account.branch ? "Τα ραντεβού του ΚΕΠ" : "Τα ραντεβού όλων των ΚΕΠ";
  $("day-panel").hidden = !supervisor;
  $("staff-panel").hidden = !supervisor;
  $("queue-filter").hidden = !supervisor;
  $("history-panel").hidden = account.role !== "clerk";
  refresh();
  loadFailed();
  listen();
}

function showLogin(message = "") {
  state.account = null;
  state.csrf = null;
  if (state.feed) { state.feed.close(); state.feed = null; }
  $("login-error").textContent = message;
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

const STATES = { booked: "Σε αναμονή ανάληψης", in_call: "Σε εξέλιξη", completed: "Ολοκληρώθηκε", no_show: "Ο πολίτης δεν ήρθε",
                 cancelled: "Ακυρώθηκε" };

// One appointment as a card; `withDay`: the date too (lists not grouped under day headings).
function card(item, withDay = false) {
  const node = $("card-template").content.firstElementChild.cloneNode(true);
  node.dataset.reference = item.reference;
  const when = node.querySelector(".when");
  when.textContent = withDay ? KepText.dateTime(item.start) : `${KepText.time(item.start)}–${KepText.time(item.end)}`;
  when.setAttribute("datetime", item.start);
  node.querySelector(".topic").textContent = item.topic_label;
  node.querySelector(".waiting").hidden = !item.waiting;
  const taken = item.picked_by && !item.picked_by_me ? ` (${item.picked_by_name})` : "";
  node.querySelector(".state").textContent = (STATES[item.status] || item.status) + taken;
  node.querySelector(".question").textContent = item.question || "(χωρίς ερώτηση)";
  node.querySelector(".confidence").textContent =
    item.confidence == null ? "Θέμα από τον πολίτη" : `Βεβαιότητα θέματος ${Math.round(item.confidence * 100)}%`;
  node.querySelector(".reference").textContent = item.reference;
  node.querySelector(".card-message").textContent = state.messages.get(item.reference) || "";
  node.querySelector(".outcome").hidden = !item.outcome_label;
  node.querySelector(".outcome-label").textContent = item.outcome_label ? `${item.outcome_label}.` : "";
  node.querySelector(".notes").textContent = item.notes || "";
  const dl = node.querySelector(".citizen");
  field(dl, "Ονοματεπώνυμο", item.citizen.full_name);
  field(dl, "Έγγραφο", `${item.citizen.id_document_label} ${item.citizen.id_card}`);
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
  const notes = finish.elements.notes;
  notes.defaultValue = sessionStorage.getItem(draftKey(item.reference)) || "";
  notes.addEventListener("input", () => sessionStorage.setItem(draftKey(item.reference), notes.value));
  finish.addEventListener("submit", (e) => { e.preventDefault(); finishCall(item.reference, new FormData(finish)); });
  const audit = node.querySelector(".audit");
  audit.addEventListener("toggle", () => {
    if (audit.open) loadSteps(`/api/clerk/bookings/${encodeURIComponent(item.reference)}/audit`, audit.querySelector(".steps"), false);
  });
  const supervisor = state.account.role !== "clerk";
  const assignment = node.querySelector(".assignment");
  assignment.hidden = !(supervisor || item.assigned);
  assignment.textContent = supervisor
    ? `${item.branch_name} · Υπάλληλος: ${item.clerk_name}${item.assigned ? " (με ανάθεση)" : ""}`
    : "Σας το ανέθεσε ο προϊστάμενος.";
  const reassignBox = node.querySelector(".reassign-box");
  reassignBox.hidden = !(supervisor && item.status === "booked");
  giveToAnother(item, reassignBox, "reassign", "δεν είναι ελεύθερος εκείνη την ώρα",
                (name) => `Το ραντεβού ${item.reference} ανατέθηκε στον/στην ${name}.`);
  const takeoverBox = node.querySelector(".takeover-box");
  takeoverBox.hidden = !(supervisor && item.status === "in_call");
  giveToAnother(item, takeoverBox, "take-over", "δεν είναι διαθέσιμος τώρα",
                (name) => `Την κλήση ${item.reference} την αναλαμβάνει ο/η ${name}· θα ελέγξει ξανά την ταυτότητα του πολίτη.`);
  const moveBox = node.querySelector(".move-box");
  moveBox.hidden = reassignBox.hidden;
  moveBox.addEventListener("toggle", () => { if (moveBox.open) loadFreeTimes(item, moveBox); });
  const move = node.querySelector(".move");
  move.addEventListener("submit", (e) => {
    e.preventDefault();
    const data = new FormData(move);
    moveTo(item.reference, data.get("slot_id"), data.get("reason"), move.elements.slot_id.selectedOptions[0]?.textContent || "");
  });
  node.querySelector(".cancel-box").hidden = reassignBox.hidden;
  const cancel = node.querySelector(".service-cancel");
  cancel.addEventListener("submit", (e) => { e.preventDefault(); cancelByService(item.reference, new FormData(cancel).get("reason")); });
  return node;
}

// Keyed rendering: `entries` are {key, signature, build}. A node whose signature did not
// change stays as it is (open sections, typed text, focus and scroll untouched); a changed
// one is rebuilt and takes over what the clerk had open or typed; order follows `entries`.
// The card the clerk works in stays where it was on screen, whatever came in above it.
function sync(list, entries) {
  const anchor = cardInUse(list);
  const before = anchor && anchor.getBoundingClientRect().top;
  reorder(list, entries);
  const now = anchor && list.querySelector(`:scope > [data-key="${CSS.escape(anchor.dataset.key)}"]`);
  if (now) window.scrollBy({ top: now.getBoundingClientRect().top - before, behavior: "instant" });
}

// The card with the focus in it, or else the first one on screen.
function cardInUse(list) {
  const cards = [...list.children].filter((n) => n.matches("li.card"));
  return cards.find((n) => n.contains(document.activeElement))
    || cards.find((n) => { const box = n.getBoundingClientRect(); return box.bottom > 0 && box.top < window.innerHeight; });
}

function reorder(list, entries) {
  const existing = new Map([...list.children].map((n) => [n.dataset.key, n]));
  let cursor = list.firstElementChild;
  for (const entry of entries) {
    let node = existing.get(entry.key);
    existing.delete(entry.key);
    if (!node || node.dataset.signature !== entry.signature) {
      const fresh = entry.build();
      fresh.dataset.key = entry.key;
      fresh.dataset.signature = entry.signature;
      if (node) { carryOver(node, fresh); if (cursor === node) cursor = fresh; node.replaceWith(fresh); }
      node = fresh;
    }
    if (node === cursor) cursor = cursor.nextElementSibling;
    else list.insertBefore(node, cursor);
  }
  for (const gone of existing.values()) gone.remove();
}

// What the clerk had open, typed or focused in a card, onto its rebuilt version.
function carryOver(old, fresh) {
  old.querySelectorAll("details[class]").forEach((d) => {
    const twin = fresh.querySelector(`details.${d.classList[0]}`);
    if (twin) twin.open = d.open;
  });
  old.querySelectorAll("form[class] [name]").forEach((field) => {
    const box = field.type === "checkbox";
    const twin = fresh.querySelector(`form.${field.form.classList[0]} [name="${field.name}"]${box ? `[value="${CSS.escape(field.value)}"]` : ""}`);
    if (!twin) return;
    if (box) { if (field.checked !== field.defaultChecked) twin.checked = field.checked; return; }
    if (field.value !== field.defaultValue) { twin.value = field.value; twin.dataset.wanted = field.value; }
  });
  const focused = old.contains(document.activeElement) ? document.activeElement : null;
  if (!focused) return;
  const place = focused.name ? `form.${focused.form.classList[0]} [name="${focused.name}"]`
    : focused.tagName === "SUMMARY" ? `details.${focused.parentElement.classList[0]} > summary`
    : focused.className ? `.${focused.classList[0]}` : null;
  const twin = place && fresh.querySelector(place);
  queueMicrotask(() => ((twin && twin.offsetParent ? twin : fresh.querySelector("button:not([hidden]), a:not([hidden])")) || fresh).focus?.());
}

function cardEntry(item, withDay = false) {
  const message = state.messages.get(item.reference) || "";
  return { key: item.reference, signature: JSON.stringify([item, message, withDay]), build: () => card(item, withDay) };
}

function dayHeading(label) {
  const heading = document.createElement("li");
  heading.className = "day";
  heading.textContent = label;
  return heading;
}

// Today first, then the next days, each under its own heading.
function withDayHeadings(items) {
  const entries = [];
  const today = KepText.day(Date.now());
  const tomorrow = KepText.day(Date.now() + 86400000);
  let current = null;
  for (const item of items) {
    const day = KepText.day(item.start);
    if (day !== current) {
      current = day;
      const label = day === today ? `Σήμερα, ${day}` : day === tomorrow ? `Αύριο, ${day}` : day;
      entries.push({ key: `day:${day}`, signature: label, build: () => dayHeading(label) });
    }
    entries.push(cardEntry(item));
  }
  return entries;
}

// One load at a time; changes that arrive meanwhile cause one more load after it.
function serialised(load) {
  let running = null, again = false;
  return async function run() {
    if (running) { again = true; return running; }
    running = (async () => { do { again = false; await load(); } while (again); })();
    try { await running; } finally { running = null; }
  };
}

// Supervisors: the queue of one clerk, or in one state (the citizen waiting counts as one).
function filtered(items) {
  const filter = new FormData($("queue-filter"));
  const clerk = filter.get("clerk"), status = filter.get("status");
  return items.filter((i) => (!clerk || i.clerk === clerk || i.picked_by_clerk === clerk)
    && (!status || (status === "waiting" ? i.waiting && i.status === "booked" : i.status === status)));
}

function fillClerkFilter(items) {
  const select = $("queue-filter").elements.clerk;
  const known = new Map([...select.options].slice(1).map((o) => [o.value, o.textContent]));
  for (const i of items) known.set(i.clerk, i.clerk_name);
  const options = [...known].sort((a, b) => a[1].localeCompare(b[1], "el"));
  if (options.length === select.options.length - 1) return;
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...options.map(([id, name]) => { const o = document.createElement("option"); o.value = id; o.textContent = name; return o; }));
  select.value = chosen;
}

const loadQueue = serialised(async () => {
  const result = await api("/api/clerk/queue");
  if (result.status === 401) return;  // api() has shown the log-in form
  if (!result.ok) return notice(errorText(result));
  state.queue = result.body;
  if (state.account.role !== "clerk") fillClerkFilter(result.body);
  showQueue();
});

function showQueue() {
  const items = state.account.role === "clerk" ? state.queue : filtered(state.queue);
  sync($("queue"), withDayHeadings(items));
  $("empty").hidden = items.length > 0;
  $("empty").textContent = state.queue.length ? "Κανένα ραντεβού με αυτά τα κριτήρια." : "Δεν υπάρχουν ραντεβού για τις επόμενες μέρες.";
}

const loadHandled = serialised(async () => {
  const result = await api("/api/clerk/handled");
  if (!result.ok) return;
  const today = KepText.day(Date.now());  // one taken early, for another day, shows its date
  sync($("handled"), result.body.map((item) => cardEntry(item, KepText.day(item.start) !== today)));
  $("handled-empty").hidden = result.body.length > 0;
});

const STATUS_COUNTS = [["booked", "σε αναμονή ανάληψης"], ["in_call", "σε εξέλιξη"], ["completed", "ολοκληρώθηκαν"],
                       ["no_show", "δεν ήρθαν"], ["cancelled", "ακυρώθηκαν"]];

function counts(statuses) {
  return STATUS_COUNTS.filter(([s]) => statuses[s]).map(([s, label]) => `${statuses[s]} ${label}`).join(" · ") || "κανένα ραντεβού";
}

function textElement(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

// Supervisors: today at the branch, in a few lines: by status, who is waiting, outcomes, each clerk's load.
const loadDay = serialised(async () => {
  if (state.account.role === "clerk") return;
  const result = await api("/api/clerk/day");
  if (!result.ok) return;
  const day = result.body;
  $("day-title").textContent = `Η σημερινή ημέρα · ${KepText.day(`${day.day}T12:00:00Z`)}`;
  $("day").replaceChildren(...day.branches.map((branch) => {
    const section = document.createElement("section");
    section.className = "branch-day";
    section.dataset.branch = branch.id;
    section.append(textElement("h3", branch.name), textElement("p", `Ραντεβού: ${counts(branch.statuses)}.`, "totals"));
    const outcomes = Object.entries(branch.outcomes).map(([o, n]) => `${day.outcome_labels[o] || o}: ${n}`).join(" · ");
    if (outcomes) section.append(textElement("p", `Αποτελέσματα: ${outcomes}.`, "outcomes"));
    section.append(textElement("p", branch.waiting_now.length ? `Περιμένουν τώρα: ${branch.waiting_now.length}` : "Κανείς δεν περιμένει τώρα.", "waiting-now"));
    if (branch.waiting_now.length) {
      section.append(KepText.list(branch.waiting_now.map((w) => `${KepText.time(w.start)} ${w.topic_label} — ${w.clerk_name} (${w.reference})`)));
    }
    const clerks = document.createElement("ul");
    clerks.className = "clerk-load";
    for (const c of branch.clerks) {
      const li = document.createElement("li");
      li.dataset.clerk = c.id;
      const share = c.slots ? Math.round((100 * c.appointments) / c.slots) : 0;
      const load = c.slots ? `${c.appointments} ραντεβού σε ${c.slots} θέσεις (${share}%)` : `δεν εργάζεται σήμερα${c.appointments ? ` · ${c.appointments} ραντεβού` : ""}`;
      li.append(textElement("strong", c.name), ` — ${load}`);
      const detail = counts(c.statuses) + (c.waiting ? ` · ${c.waiting} περιμένει` : "");
      if (c.appointments || c.statuses.cancelled) li.append(textElement("span", detail, "muted load-detail"));
      const bar = document.createElement("span");
      bar.className = "load-bar";
      bar.setAttribute("aria-hidden", "true");
      bar.style.setProperty("--load", `${Math.min(share, 100)}%`);
      li.append(bar);
      clerks.append(li);
    }
    section.append(textElement("h4", "Φόρτος ανά υπάλληλο"), clerks);
    return section;
  }));
});

// Who did what and when (from the audit trail); `withReference` in the branch's list.
async function loadSteps(path, list, withReference) {
  const result = await api(path);
  if (!result.ok) { list.replaceChildren(textElement("li", errorText(result))); return; }
  list.replaceChildren(...result.body.map((step) => {
    const li = document.createElement("li");
    const when = textElement("time", withReference ? KepText.time(step.at) : `${KepText.day(step.at)}, ${KepText.time(step.at)}`);
    when.setAttribute("datetime", step.at);
    li.append(when, ` · ${withReference ? `${step.reference} · ` : ""}`, textElement("strong", step.label), ` — ${step.actor}`);
    if (step.details) li.append(textElement("span", step.details, "muted step-details"));
    return li;
  }));
  if (!result.body.length) list.append(textElement("li", "Καμία ενέργεια ακόμη."));
}

function loadBranchSteps() {
  if ($("branch-audit").open) loadSteps("/api/clerk/audit", $("branch-steps"), true);
}

function absenceText(a) {
  const from = `${KepText.day(`${a.start}T12:00:00Z`)}${a.from_time ? ` ${a.from_time}` : ""}`;
  const until = `${a.end === a.start && a.from_time ? "" : `${KepText.day(`${a.end}T12:00:00Z`)} `}${a.until || "(όλη την ημέρα)"}`;
  return `${from} – ${until}${a.reason ? ` · ${a.reason}` : ""}`;
}

const WEEKDAYS = [["mon", "Δευτέρα"], ["tue", "Τρίτη"], ["wed", "Τετάρτη"], ["thu", "Πέμπτη"], ["fri", "Παρασκευή"],
                  ["sat", "Σάββατο"], ["sun", "Κυριακή"]];

// A clerk's topics (checkboxes) and weekly hours (one field a day), as a form.
function scheduleForm(clerk, topics) {
  const box = $("schedule-template").content.firstElementChild.cloneNode(true);
  const form = box.querySelector("form");
  const choice = form.querySelector(".topics-choice");
  for (const t of topics) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox"; input.name = "topic"; input.value = t.id; input.defaultChecked = clerk.topics.includes(t.id);
    label.append(input, ` ${t.label}`);
    choice.append(label);
  }
  const hours = form.querySelector(".hours");
  for (const [day, name] of WEEKDAYS) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.name = day; input.autocomplete = "off";
    input.defaultValue = (clerk.working_hours[day] || []).map(([from, to]) => `${from}-${to}`).join(", ");
    label.append(`${name} `, input);
    hours.append(label);
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); changeSchedule(clerk, form); });
  return box;
}

async function changeSchedule(clerk, form) {
  const data = new FormData(form);
  const workingHours = {};
  for (const [day] of WEEKDAYS) {
    const ranges = String(data.get(day) || "").split(",").map((r) => r.trim()).filter(Boolean);
    if (ranges.length) workingHours[day] = ranges.map((r) => r.split(/\s*[-–]\s*/));
  }
  const result = await api(`/api/clerk/clerks/${encodeURIComponent(clerk.id)}/schedule`,
                           { method: "PUT", body: { topics: data.getAll("topic"), working_hours: workingHours } });
  if (!result.ok) { $("staff-message").textContent = errorText(result); return; }
  form.closest("details").open = false;
  $("staff-message").textContent = `Το ωράριο και τα θέματα του/της ${clerk.name} αποθηκεύτηκαν. ${redistributed(result.body)}`;
  refresh();
}

// What happened to the appointments that no longer fitted a clerk's schedule.
function redistributed(r) {
  const parts = [
    ...r.reassigned.map((x) => `${x.reference}: στον/στην ${x.clerk_name}, ίδια ώρα`),
    ...r.moved.map((x) => `${x.reference}: νέα ώρα ${KepText.dateTime(x.start)} (ο πολίτης ενημερώθηκε)`),
    ...r.cancelled.map((ref) => `${ref}: ακυρώθηκε, χωρίς ελεύθερη ώρα (ο πολίτης ενημερώθηκε)`),
  ];
  return parts.length ? `Ραντεβού: ${parts.join(" · ")}.` : "Κανένα ραντεβού δεν χρειάστηκε να αλλάξει.";
}

// Supervisors: each clerk's absences and schedule, with forms; what happened to the appointments is said after.
const loadStaff = serialised(async () => {
  if (state.account.role !== "supervisor") return;
  const [result, topics] = await Promise.all([api("/api/clerk/clerks"), state.topics || api("/api/topics")]);
  if (!result.ok) return;
  if (!state.topics && topics.ok) state.topics = topics;
  state.clerkNames = Object.fromEntries(result.body.map((c) => [c.id, c.name]));
  sync($("staff"), result.body.map((c) => ({
    key: c.id, signature: JSON.stringify(c),
    build: () => {
      const li = document.createElement("li");
      li.dataset.clerk = c.id;
      li.append(textElement("strong", c.name));
      li.append(c.absences.length ? absenceList(c) : textElement("p", "Καμία απουσία.", "muted"));
      const box = $("absence-template").content.firstElementChild.cloneNode(true);
      const form = box.querySelector("form");
      form.addEventListener("submit", (e) => { e.preventDefault(); addAbsence(c, form); });
      li.append(box, scheduleForm(c, topics.ok ? topics.body : []));
      return li;
    },
  })));
});

// A clerk's absences, each with a button to remove it (entered by mistake, or over early).
function absenceList(clerk) {
  const ul = document.createElement("ul");
  for (const a of clerk.absences) {
    const li = textElement("li", `${absenceText(a)} `);
    const remove = textElement("button", "Διαγραφή", "secondary");
    remove.type = "button";
    remove.setAttribute("aria-label", `Διαγραφή απουσίας: ${absenceText(a)}`);
    remove.addEventListener("click", async () => {
      const result = await api(`/api/clerk/clerks/${encodeURIComponent(clerk.id)}/absences?${new URLSearchParams(a)}`, { method: "DELETE" });
      $("staff-message").textContent = result.ok
        ? `Η απουσία του/της ${clerk.name} διαγράφηκε· οι ώρες της είναι ξανά ελεύθερες (τα ραντεβού που μετακινήθηκαν μένουν όπου πήγαν).`
        : errorText(result);
      refresh();
    });
    li.append(remove);
    ul.append(li);
  }
  return ul;
}

async function addAbsence(clerk, formElement) {
  const form = new FormData(formElement);
  const result = await api(`/api/clerk/clerks/${encodeURIComponent(clerk.id)}/absences`,
                           { method: "POST", body: { start: form.get("start"), end: form.get("end"), reason: form.get("reason") || "" } });
  if (!result.ok) { $("staff-message").textContent = errorText(result); return; }
  formElement.reset();
  formElement.closest("details").open = false;
  $("staff-message").textContent = `Η απουσία του/της ${clerk.name} καταχωρίστηκε. ${redistributed(result.body)}`;
  refresh();
}

function refresh() { loadQueue(); loadHandled(); loadDay(); loadBranchSteps(); loadStaff(); }

async function searchHistory(event) {
  event.preventDefault();
  const q = $("history-q").value.trim();
  const result = await api(`/api/clerk/history?q=${encodeURIComponent(q)}`);
  if (!result.ok) return notice(errorText(result));
  const n = result.body.length;
  $("history-summary").textContent = n === 0 ? "Δεν βρέθηκε ραντεβού." : q ? `Βρέθηκαν ${n}.` : `Τα ${n} πιο πρόσφατα.`;
  sync($("history"), result.body.map((item) => cardEntry(item, true)));
}

async function pickUp(reference, button) {
  button.disabled = true;
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/pickup`, { method: "POST", body: {} });
  state.messages.set(reference, result.ok ? `Αναλάβατε το ραντεβού ${reference}.` : errorText(result));
  refresh();
}

// The notes a clerk is writing about a call, kept in this tab until the outcome is recorded
// (a reload or a closed console does not lose them; signing out forgets them).
const draftKey = (reference) => `kep-notes:${reference}`;

function forgetDrafts() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith("kep-notes:")) sessionStorage.removeItem(key);
}

async function finishCall(reference, form) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/finish`,
                           { method: "POST", body: { outcome: form.get("outcome"), notes: form.get("notes") || "" } });
  if (result.ok) sessionStorage.removeItem(draftKey(reference));
  state.messages.set(reference, result.ok ? `Το ραντεβού ${reference} ολοκληρώθηκε.` : errorText(result));
  notice(state.messages.get(reference));
  refresh();
}

// A supervisor's box giving the appointment to another clerk: reassignment (`action`
// "reassign", for one not picked up) or a live call handed over ("take-over"). Opened, it lists
// the clerks it may go to; sent, it says what happened on the card.
function giveToAnother(item, box, action, notFree, done) {
  box.addEventListener("toggle", () => {
    if (box.open) loadReassignable(item.reference, box, `Κανένας άλλος υπάλληλος του ΚΕΠ με αυτό το θέμα ${notFree}.`);
  });
  const form = box.querySelector("form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const select = form.elements.clerk;
    const result = await api(`/api/clerk/bookings/${encodeURIComponent(item.reference)}/${action}`,
                             { method: "POST", body: { clerk: select.value } });
    state.messages.set(item.reference, result.ok ? done(select.selectedOptions[0]?.textContent || select.value) : errorText(result));
    refresh();
  });
}

// The clerks the appointment may go to (its branch, its topic, free at its time; for one in its
// call, free now), as options.
async function loadReassignable(reference, box, nobody) {
  const select = box.querySelector("select");
  const hint = box.querySelector(".hint");
  const button = box.querySelector("button");
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/reassignable-clerks`);
  if (!result.ok) { hint.textContent = errorText(result); return; }
  const options = result.body.map((c) => { const o = document.createElement("option"); o.value = c.id; o.textContent = c.name; return o; });
  select.replaceChildren(...options);
  if (select.dataset.wanted && result.body.some((c) => c.id === select.dataset.wanted)) select.value = select.dataset.wanted;
  select.disabled = button.disabled = options.length === 0;
  hint.textContent = options.length ? "" : nobody;
}

// Free times for the appointment's topic at its branch (the citizen keeps their KEP), as options.
async function loadFreeTimes(item, box) {
  const select = box.querySelector("select");
  const params = new URLSearchParams({ topic: item.topic, branch: item.branch, limit: "30" });
  const result = await api(`/api/slots?${params}`);
  if (!result.ok) { box.querySelector(".hint").textContent = errorText(result); return; }
  const names = state.clerkNames || {};
  select.replaceChildren(...result.body.map((slot) => {
    const option = document.createElement("option");
    option.value = slot.slot_id;
    option.textContent = `${KepText.dateTime(slot.start)}${names[slot.clerk] ? ` · ${names[slot.clerk]}` : ""}`;
    return option;
  }));
  if (select.dataset.wanted && result.body.some((s) => s.slot_id === select.dataset.wanted)) select.value = select.dataset.wanted;
  select.disabled = box.querySelector("button").disabled = result.body.length === 0;
  box.querySelector(".hint").textContent = result.body.length ? "" : "Δεν υπάρχει ελεύθερη ώρα για αυτό το θέμα στο ΚΕΠ.";
}

async function moveTo(reference, slotId, reason, label) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/move`,
                           { method: "POST", body: { slot_id: slotId, reason } });
  state.messages.set(reference, result.ok ? `Το ραντεβού ${reference} μεταφέρθηκε: ${label}. Ο πολίτης θα ενημερωθεί.` : errorText(result));
  refresh();
}

async function cancelByService(reference, reason) {
  const result = await api(`/api/clerk/bookings/${encodeURIComponent(reference)}/cancel`, { method: "POST", body: { reason } });
  notice(result.ok ? `Το ραντεβού ${reference} ακυρώθηκε· ο πολίτης θα ενημερωθεί.` : errorText(result));
  refresh();
}

const KINDS = { booked: "Επιβεβαίωση", rescheduled: "Αλλαγή ώρας", cancelled: "Ακύρωση", cancelled_by_service: "Ακύρωση από το ΚΕΠ",
                moved_by_service: "Νέα ώρα από το ΚΕΠ", no_show: "Απουσία", reminder_day: "Υπενθύμιση (μία ημέρα πριν)",
                reminder_hours: "Υπενθύμιση (δύο ώρες πριν)" };
const CHANNELS = { sms: "SMS", email: "email" };

// Supervisors: messages that could not reach a citizen after every retry.
async function loadFailed() {
  if (state.account.role === "clerk") return;
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
                  picked_up: "Ανάληψη", taken_over: "Η κλήση σε άλλον υπάλληλο", finished: "Ολοκλήρωση", no_show: "Ο πολίτης δεν ήρθε", reassigned: "Ανάθεση" };

function listen() {
  if (state.feed) state.feed.close();
  state.feed = new EventSource("/api/clerk/events");
  state.feed.addEventListener("open", () => { $("live").textContent = "· ζωντανή ενημέρωση"; });
  state.feed.addEventListener("error", () => { $("live").textContent = "· επανασύνδεση…"; });
  state.feed.addEventListener("ended", (e) => showLogin(JSON.parse(e.data).message));
  state.feed.addEventListener("change", (e) => {
    const change = JSON.parse(e.data);
    notice(`${CHANGES[change.kind] || "Αλλαγή"}: ${change.reference}`);
    refresh();
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
  forgetDrafts();
  state.csrf = null;
  showLogin();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("search-form").addEventListener("submit", search);
  $("history-form").addEventListener("submit", searchHistory);
  $("branch-audit").addEventListener("toggle", loadBranchSteps);
  $("queue-filter").addEventListener("change", showQueue);
  const me = await api("/api/clerk/me");
  if (me.ok) { state.csrf = me.body.csrf_token; showSignedIn(me.body.account); }
  else { showLogin(me.body && me.body.error && me.body.error.code === "session_ended" ? errorText(me) : ""); }
});
