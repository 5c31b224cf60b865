// The citizen's chat page. It talks only to this service (/api/chat); the bot's replies and
// anything typed are put on the page as text (links are made from http(s) URLs only).
"use strict";

const $ = (id) => document.getElementById(id);
const prefs = {
  get: (name, fallback) => { try { return JSON.parse(localStorage.getItem(`kep.${name}`)) ?? fallback; } catch (e) { return fallback; } },
  set: (name, value) => { try { localStorage.setItem(`kep.${name}`, JSON.stringify(value)); } catch (e) { /* private mode */ } },
};
const MAX = 1000;
const state = { busy: false, lastSent: null, readAloud: prefs.get("readAloud", false), scale: prefs.get("scale", 1) };

function bookingCard(b) {
  const card = document.createElement("section");
  card.className = "booking-card";
  card.setAttribute("aria-label", "Το ραντεβού σας");
  card.dataset.reference = b.reference;
  card.dataset.manageCode = b.manage_code;
  const h = document.createElement("h2"); h.textContent = b.headline || "Το ραντεβού σας";
  const change = b.change_until ? `έως ${b.change_until}` : b.branch_phone ? `μόνο στο τηλέφωνο του ΚΕΠ ${b.branch_phone}` : null;
  const dl = KepText.details([["Πότε", b.when], ["ΚΕΠ", b.branch], ["Κωδικός ραντεβού", b.reference],
    ["Κωδικός διαχείρισης", b.manage_code], ["Θέμα", b.topic], ["Αλλαγή ή ακύρωση", change]]);
  const links = document.createElement("p"); links.className = "links";
  const link = (href, text) => { const a = document.createElement("a"); a.href = href; a.textContent = text; links.append(a); return a; };
  link(b.join_url, "Σύνδεσμος βιντεοκλήσης");
  link(b.calendar_url, "Προσθήκη στο ημερολόγιο (.ics)").setAttribute("download", `${b.reference}.ics`);
  if (b.appointment_url) link(b.appointment_url, "Το ραντεβού μου: προβολή, αλλαγή, ακύρωση");
  card.append(h, dl, links);
  if (b.documents && b.documents.length) {
    const title = document.createElement("h3"); title.textContent = "Να έχετε έτοιμα";
    card.append(title, KepText.list(b.documents));
  }
  for (const notice of b.notices || []) {
    const p = document.createElement("p"); p.className = "notice"; p.textContent = notice; card.append(p);
  }
  return card;
}

function addMessage(sender, text, booking) {
  const li = document.createElement("li");
  li.className = `msg ${sender}`;
  const who = document.createElement("span"); who.className = "who";
  who.textContent = sender === "user" ? "Εσείς: " : "Βοηθός: ";
  li.append(who);
  if (text) KepText.withLinks(li, text);
  if (booking) li.append(bookingCard(booking));
  $("log").append(li);
  return li;
}

// The newest message from its first line, its buttons and the message box (always on screen:
// it is docked at the bottom) in view; when they do not all fit, the message's start wins.
function revealLatest() {
  const last = $("log").lastElementChild;
  if (!last) return;
  const margin = 8;
  const limit = $("dock").getBoundingClientRect().top - margin;
  const top = last.getBoundingClientRect().top - margin;
  const end = ($("quick").childElementCount ? $("quick") : last).getBoundingClientRect().bottom;
  window.scrollBy({ top: Math.min(Math.max(end - limit, 0), top), behavior: "instant" });
}

function showQuickReplies(buttons) {
  const quick = $("quick");
  quick.replaceChildren(...(buttons || []).map((b) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = b.title;
    button.addEventListener("click", () => send(b.payload, b.title));
    return button;
  }));
}

function status(text, retry) {
  const el = $("status");
  el.replaceChildren(document.createTextNode(text || ""));
  if (retry) {
    const button = document.createElement("button");
    button.type = "button"; button.textContent = "Δοκιμάστε ξανά";
    button.addEventListener("click", () => send(retry.payload, retry.shown));
    el.append(button);
    button.focus();
  }
}

function speak(text) {
  if (!state.readAloud || !("speechSynthesis" in window) || !text) return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = "el-GR";
  const greek = speechSynthesis.getVoices().find((v) => v.lang && v.lang.toLowerCase().startsWith("el"));
  if (greek) utterance.voice = greek;
  speechSynthesis.speak(utterance);
}

function showReplies(replies) {
  let buttons = [];
  for (const reply of replies) {
    if (reply.text || reply.booking) addMessage("bot", reply.text, reply.booking);
    if (reply.buttons) buttons = reply.buttons;
    speak(reply.booking ? `${reply.booking.headline || ""} ${reply.booking.when}. ${reply.booking.branch}.` : reply.text);
  }
  showQuickReplies(buttons);
  revealLatest();
}

function problem(text) {
  if (!text.trim()) return "Γράψτε πρώτα το μήνυμά σας.";
  if (text.trim().length > MAX) return `Το μήνυμα είναι πολύ μεγάλο: έως ${MAX} χαρακτήρες, παρακαλώ.`;
  return null;
}

async function send(payload, shown) {
  if (state.busy) return;
  const text = payload.trim();
  if (problem(text)) { status(problem(text)); return; }
  state.busy = true;
  $("send").disabled = true;
  status("");
  if (!state.retrying) addMessage("user", shown || text);
  showQuickReplies([]);
  revealLatest();
  let response, body = null;
  try {
    response = await fetch("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" },
                                          credentials: "same-origin", body: JSON.stringify({ message: text }) });
    body = await response.json().catch(() => null);
  } catch (e) { response = null; }
  state.busy = false;
  $("send").disabled = false;
  if (response && response.ok) {
    state.retrying = false;
    showReplies(body.messages);
    $("message").focus({ preventScroll: true });
    return;
  }
  const message = (body && body.error && body.error.message) || "Δεν υπάρχει σύνδεση με τον βοηθό. Ελέγξτε το διαδίκτυο και δοκιμάστε ξανά.";
  const canRetry = !response || response.status >= 500;
  state.retrying = canRetry;
  status(message, canRetry ? { payload: text, shown } : null);
}

async function loadHistory() {
  const response = await fetch("/api/chat/history", { credentials: "same-origin" }).catch(() => null);
  const body = response && response.ok ? await response.json() : { turns: [] };
  if (!body.turns.length) {
    addMessage("bot", "Γεια σας! Γράψτε μου τι χρειάζεστε, π.χ. «Έχασα την ταυτότητά μου» ή «θέλω να κάνω φορολογική δήλωση».")
      .classList.add("greeting");  // not a turn of the conversation
    return;
  }
  for (const turn of body.turns) addMessage(turn.sender, turn.text, turn.booking);
  const last = body.turns[body.turns.length - 1];
  if (last.sender === "bot") showQuickReplies(last.buttons);
  revealLatest();
}

// The same conversation open in another tab went on: coming back to this one shows it as it is
// now (as a reload would), not as it was.
async function catchUp() {
  if (document.hidden || state.busy) return;
  const response = await fetch("/api/chat/history", { credentials: "same-origin" }).catch(() => null);
  if (!response || !response.ok || state.busy) return;
  const { turns } = await response.json();
  const shown = $("log").querySelectorAll(":scope > li.msg:not(.greeting)");
  const last = turns[turns.length - 1];
  if (shown.length === turns.length && (!last || shown[shown.length - 1].classList.contains(last.sender))) return;
  $("log").replaceChildren();
  showQuickReplies([]);
  await loadHistory();
}

async function newChat() {
  await fetch("/api/chat/reset", { method: "POST", credentials: "same-origin" });
  $("log").replaceChildren();
  showQuickReplies([]);
  status("");
  await loadHistory();
  $("message").focus();
}

// A booking card on screen: say what "new chat" takes away and what stays, first.
function askBeforeNewChat() {
  const cards = $("log").querySelectorAll(".booking-card");
  if (!cards.length) { newChat(); return; }
  const last = cards[cards.length - 1];
  $("confirm-new-codes").textContent = `Κρατήστε τους κωδικούς σας: κωδικός ραντεβού ${last.dataset.reference}, `
    + `κωδικός διαχείρισης ${last.dataset.manageCode}. Με αυτούς βλέπετε, αλλάζετε ή ακυρώνετε το ραντεβού `
    + "στη σελίδα «Το ραντεβού μου», ή το ξαναβρίσκω εδώ αν μου γράψετε «έχασα το ραντεβού μου».";
  $("confirm-new").returnValue = "";
  $("confirm-new").showModal();
}

function setScale(scale) {
  state.scale = Math.min(2, Math.max(1, Math.round(scale * 100) / 100));
  document.documentElement.style.setProperty("--scale", String(state.scale));
  prefs.set("scale", state.scale);
}

function setReadAloud(on) {
  state.readAloud = on;
  $("read-aloud").setAttribute("aria-pressed", String(on));
  prefs.set("readAloud", on);
  if (!on && "speechSynthesis" in window) speechSynthesis.cancel();
}

function setUpVoiceInput() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) return;  // the button stays hidden where the browser cannot listen
  const mic = $("mic");
  mic.hidden = false;
  let listening = null;
  mic.addEventListener("click", () => {
    if (listening) { listening.stop(); return; }
    listening = new Recognition();
    listening.lang = "el-GR";
    listening.interimResults = false;
    listening.addEventListener("result", (e) => {
      $("message").value = Array.from(e.results).map((r) => r[0].transcript).join(" ");
      $("message").focus({ preventScroll: true });
    });
    listening.addEventListener("end", () => { listening = null; mic.setAttribute("aria-pressed", "false"); mic.textContent = "Μιλήστε"; });
    listening.addEventListener("error", () => status("Δεν σας άκουσα. Ελέγξτε ότι το μικρόφωνο επιτρέπεται, ή γράψτε το μήνυμα."));
    mic.setAttribute("aria-pressed", "true");
    mic.textContent = "Σταματήστε";
    listening.start();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setScale(state.scale);
  if ("speechSynthesis" in window) { $("read-aloud").hidden = false; setReadAloud(state.readAloud); }
  setUpVoiceInput();
  $("smaller").addEventListener("click", () => setScale(state.scale - 0.15));
  $("larger").addEventListener("click", () => setScale(state.scale + 0.15));
  $("read-aloud").addEventListener("click", () => setReadAloud(!state.readAloud));
  $("new-chat").addEventListener("click", askBeforeNewChat);
  $("confirm-new").addEventListener("close", () => {
    if ($("confirm-new").returnValue === "new") newChat(); else $("new-chat").focus();
  });
  const input = $("message");
  input.addEventListener("input", () => {
    const left = MAX - input.value.length;
    $("counter").textContent = left < 200 ? `Απομένουν ${left} χαρακτήρες.` : "";
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    if (state.busy || problem(text)) { if (problem(text)) status(problem(text)); return; }  // keep what was typed
    input.value = "";
    send(text);
  });
  loadHistory();
  document.addEventListener("visibilitychange", catchUp);
  window.addEventListener("focus", catchUp);
});
