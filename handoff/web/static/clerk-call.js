// The clerk's side of the call: the citizen's name and ID number beside the video for the ID
// check, video until the ID card is confirmed, then audio-only if the clerk wishes; notes and
// links to the citizen; hanging up records the outcome. Rejecting and ending ask first, and so
// does leaving the page while the call is on.
"use strict";

const $ = (id) => document.getElementById(id);
const reference = decodeURIComponent(location.pathname.split("/").pop());
const api = (path) => `/api/clerk/calls/${encodeURIComponent(reference)}${path}`;
const session = { csrf: null };
const call = { media: null, connection: null, relabel: () => {}, citizenVideoMoving: () => false, over: false };

const STATES = {
  waiting: "Αναμονή του πολίτη…", connected: "Συνδεδεμένοι. Ζητήστε να δείτε την αστυνομική ταυτότητα.",
  id_verified: "Η ταυτότητα επιβεβαιώθηκε.", audio_only: "Μόνο ήχος.", ended: "Η κλήση τελείωσε.",
};

async function act(path, body = {}) {
  $("error").textContent = "";
  try {
    const s = await KepCall.postJson(api(path), body, { "X-CSRF-Token": session.csrf });
    if (s.state) show(s);
    return s;
  } catch (e) { $("error").textContent = e.message; return null; }
}

// What the clerk reads about the citizen: away, camera or microphone off, picture not live.
function citizenStatus(s, live) {
  if (s.state === "waiting") return STATES.waiting + (s.citizen_connected ? " Ο πολίτης είναι στην αίθουσα αναμονής." : "");
  if (!["connected", "id_verified"].includes(s.state)) return STATES[s.state];
  if (s.citizen_left) return "Ο πολίτης αποχώρησε από την κλήση. Μπορεί να επιστρέψει με τον σύνδεσμό του· αν δεν επιστρέψει, τερματίστε την κλήση με το αποτέλεσμα.";
  if (!s.citizen_camera) return "Ο πολίτης έκλεισε την κάμερά του.";
  if (!live) return "Η εικόνα του πολίτη δεν έρχεται αυτή τη στιγμή. Η σύνδεση αποκαθίσταται αυτόματα· περιμένετε.";
  return STATES[s.state] + (s.citizen_microphone ? "" : " Ο πολίτης έχει κλείσει το μικρόφωνό του.");
}

// `askedAt`: when the state poll that brought `s` was sent (see KepCall.Connection.serviceSees).
function show(s, askedAt = 0) {
  // «Συνδεδεμένοι» only while the citizen's picture is live: the service relays it and this
  // page decodes new frames; otherwise an ID could be "checked" against a frozen image.
  const live = s.citizen_video && call.citizenVideoMoving();
  $("status").textContent = $("elsewhere").hidden ? citizenStatus(s, live) : KepCall.ELSEWHERE;
  document.body.dataset.state = s.state;
  document.body.dataset.citizenVideo = live ? "live" : "none";
  $("no-video").hidden = live || !["connected", "id_verified"].includes(s.state);
  $("remote").classList.toggle("frozen", !$("no-video").hidden || !s.video);
  $("verify").disabled = s.state !== "connected" || !live;
  $("audio-only-button").disabled = s.state !== "id_verified";
  $("audio-only").hidden = s.video;
  $("camera").hidden = !s.video;
  KepCall.showMessages($("messages"), s.messages);
  if (call.connection && !call.over) call.connection.serviceSees(s.clerk_connected, s.elsewhere, askedAt);
  if (!s.video && call.media && call.media.camera) {  // audio-only: the camera is released
    call.media.setCamera(false).then(() => call.connection && call.connection.replaceTrack("video", null));
    call.relabel();
  }
  if (s.state === "ended") {
    hangUp();
    $("status").textContent = "Η κλήση τελείωσε.";
    $("ended-text").textContent = s.ended_because === "id_rejected"
      ? "Η ταυτότητα απορρίφθηκε· το ραντεβού έκλεισε ως «Η ταυτότητα δεν επιβεβαιώθηκε». Ο πολίτης διαβάζει τον λόγο και τι μπορεί να κάνει."
      : "Η κάμερα και το μικρόφωνο έκλεισαν.";
    $("ended").hidden = false;
  }
}

function hangUp() {
  call.over = true;
  if (call.connection) call.connection.close();
  if (call.media) call.media.stop();
}

// The call is no longer this clerk's (a supervisor gave it to another clerk): the page says
// why, lets the camera and microphone go and hides the controls, which would all be refused.
function gone(message) {
  hangUp();
  document.body.dataset.state = "gone";
  $("status").textContent = message;
  $("gone-text").textContent = message;
  $("gone").hidden = false;
}

// The call was opened on another device or tab of the clerk's, which joined after this page:
// the call is there now; this page lets it go until the clerk takes it back.
function takenElsewhere() {
  hangUp();  // and leaving this page no longer asks
  $("elsewhere").hidden = false;
  $("status").textContent = KepCall.ELSEWHERE;
  $("take-back").focus();
}

// Camera and microphone on, and a connection that takes the call (from another page of the clerk's, if any).
async function join(video) {
  $("elsewhere").hidden = true;
  try {
    await call.media.start({ video });
  } catch (e) { $("error").textContent = "Δεν δόθηκε άδεια για κάμερα ή μικρόφωνο."; return; }
  call.over = false;
  call.connection = new KepCall.Connection({
    media: call.media, stateUrl: KepCall.stateUrl(api("/state")),
    send: (offer) => KepCall.postJson(api("/offer"), offer, { "X-CSRF-Token": session.csrf }),
    onRemote: (remote) => { $("remote").srcObject = remote; },
    onState: (state) => { document.body.dataset.connection = state; },
    onElsewhere: takenElsewhere,
  });
  call.relabel();
  await call.connection.open();
}

async function poll() {
  const askedAt = Date.now();
  const response = await fetch(KepCall.stateUrl(api("/state")), { credentials: "same-origin" }).catch(() => null);
  if (response && response.ok) {
    const s = await response.json();
    show(s, askedAt);
    if (s.state === "ended") return;
  } else if (response) {
    const message = (await response.json()).error.message;
    if (response.status === 403) { gone(message); return; }
    $("error").textContent = message;
    if (response.status === 409) { hangUp(); return; }
  }
  setTimeout(poll, 1000);
}

// Name and ID number as booked, from the console's queue (unmasked for the clerk who picked
// the appointment up: the same data the console shows).
async function showIdentity() {
  const response = await fetch("/api/clerk/queue", { credentials: "same-origin" });
  if (!response.ok) return;
  const item = (await response.json()).find((b) => b.reference === reference && b.picked_by_me);
  if (!item) return;
  $("citizen-name").textContent = item.citizen.full_name || "—";
  $("citizen-id").textContent = [item.citizen.id_document_label, item.citizen.id_card].filter(Boolean).join(" ") || "—";
}

function bindForms() {
  $("verify").addEventListener("click", () => act("/verify", { matches: true }));
  $("reject").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = new FormData(e.target).get("reason");
    if (!confirm(`Να απορριφθεί η ταυτότητα; Η κλήση θα τερματιστεί και το ραντεβού θα κλείσει ως «Η ταυτότητα δεν επιβεβαιώθηκε». Ο πολίτης θα διαβάσει: «${reason}»`)) return;
    await act("/verify", { matches: false, reason });
  });
  $("audio-only-button").addEventListener("click", () => act("/audio-only"));
  $("message-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await act("/message", { text: new FormData(e.target).get("text") })) e.target.reset();
  });
  // The notes being written, kept in this tab as on the console's card (same key): a reload keeps them.
  const notes = $("end-form").elements.notes;
  notes.value = sessionStorage.getItem(`kep-notes:${reference}`) || "";
  notes.addEventListener("input", () => sessionStorage.setItem(`kep-notes:${reference}`, notes.value));
  $("end-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const label = e.target.elements.outcome.selectedOptions[0].textContent;
    if (!confirm(`Να τερματιστεί η κλήση με αποτέλεσμα «${label}»;`)) return;
    if (await act("/end", { outcome: form.get("outcome"), notes: form.get("notes") || "" })) {
      sessionStorage.removeItem(`kep-notes:${reference}`);
      hangUp();
      location.href = "/clerk";
    }
  });
  window.addEventListener("beforeunload", (e) => {
    if (call.over) return;
    e.preventDefault();
    e.returnValue = "";  // the browser asks whether to leave the call
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  $("reference").textContent = reference;
  const me = await fetch("/api/clerk/me", { credentials: "same-origin" });
  if (!me.ok) { location.href = "/clerk"; return; }
  session.csrf = (await me.json()).csrf_token;
  bindForms();
  showIdentity();
  const firstResponse = await fetch(api("/state"), { credentials: "same-origin" });
  const first = await firstResponse.json();
  if (!firstResponse.ok) { $("error").textContent = first.error.message; call.over = true; return; }
  if (first.state === "ended") { show(first); return; }
  call.media = new KepCall.LocalMedia($("local"));
  call.citizenVideoMoving = KepCall.frameWatch($("remote"));
  call.relabel = KepCall.bindDeviceButtons({
    media: call.media, connection: () => call.connection,
    report: (devices) => KepCall.postJson(api("/devices"), devices, { "X-CSRF-Token": session.csrf }),
    note: $("controls-note"), mute: $("mute"), camera: $("camera"),
  });
  $("take-back").addEventListener("click", () => join(document.body.dataset.state !== "audio_only"));
  await join(first.state !== "audio_only");
  if (call.connection) poll();
});
