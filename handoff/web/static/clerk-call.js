// The clerk's side of the call: video until the ID card is confirmed, then audio-only if the
// clerk wishes; notes and links to the citizen; hanging up records the outcome.
"use strict";

const $ = (id) => document.getElementById(id);
const reference = decodeURIComponent(location.pathname.split("/").pop());
const api = (path) => `/api/clerk/calls/${encodeURIComponent(reference)}${path}`;
const session = { csrf: null };
let citizenVideoMoving = () => false;

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

function show(s) {
  // «Συνδεδεμένοι» only while the citizen's picture is live: the service relays it and this
  // page decodes new frames; otherwise an ID could be "checked" against a frozen image.
  const live = s.citizen_video && citizenVideoMoving();
  let text = STATES[s.state] + (s.state === "waiting" && s.citizen_connected ? " Ο πολίτης είναι στην αίθουσα αναμονής." : "");
  if (["connected", "id_verified"].includes(s.state) && !live) {
    text = "Η εικόνα του πολίτη δεν έρχεται αυτή τη στιγμή. Η σύνδεση αποκαθίσταται αυτόματα· περιμένετε.";
  }
  $("status").textContent = text;
  document.body.dataset.state = s.state;
  document.body.dataset.citizenVideo = live ? "live" : "none";
  $("no-video").hidden = live || !["connected", "id_verified"].includes(s.state);
  $("remote").classList.toggle("frozen", !$("no-video").hidden);
  $("verify").disabled = s.state !== "connected" || !live;
  $("audio-only-button").disabled = s.state !== "id_verified";
  $("audio-only").hidden = s.video;
  KepCall.showMessages($("messages"), s.messages);
}

async function poll(connection) {
  const response = await fetch(api("/state"), { credentials: "same-origin" }).catch(() => null);
  if (response && response.ok) {
    const s = await response.json();
    show(s);
    if (s.state === "ended") { connection.close(); return; }
  } else if (response) {
    $("error").textContent = (await response.json()).error.message;
  }
  setTimeout(() => poll(connection), 1000);
}

document.addEventListener("DOMContentLoaded", async () => {
  $("reference").textContent = reference;
  const me = await fetch("/api/clerk/me", { credentials: "same-origin" });
  if (!me.ok) { location.href = "/clerk"; return; }
  session.csrf = (await me.json()).csrf_token;
  $("verify").addEventListener("click", () => act("/verify", { matches: true }));
  $("reject").addEventListener("submit", (e) => { e.preventDefault(); act("/verify", { matches: false, reason: new FormData(e.target).get("reason") }); });
  $("audio-only-button").addEventListener("click", () => act("/audio-only"));
  $("message-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await act("/message", { text: new FormData(e.target).get("text") })) e.target.reset();
  });
  $("end-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    if (await act("/end", { outcome: form.get("outcome"), notes: form.get("notes") || "" })) location.href = "/clerk";
  });
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch (e) { $("error").textContent = "Δεν δόθηκε άδεια για κάμερα ή μικρόφωνο."; return; }
  $("local").srcObject = stream;
  citizenVideoMoving = KepCall.frameWatch($("remote"));
  const first = await (await fetch(api("/state"), { credentials: "same-origin" })).json();
  const connection = new KepCall.Connection({
    stream, iceServers: first.ice_servers,
    send: (offer) => KepCall.postJson(api("/offer"), offer, { "X-CSRF-Token": session.csrf }),
    onRemote: (remote) => { $("remote").srcObject = remote; },
    onState: (state) => { document.body.dataset.connection = state; },
  });
  await connection.open();
  poll(connection);
});
