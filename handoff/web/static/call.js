// The citizen's call page: the waiting room, then the call. The join token in the URL is the
// only credential.
"use strict";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const api = (path) => `/api/calls/${encodeURIComponent(token)}${path}`;
const startedKey = `kep-call-started:${token}`;

let clerkVideoMoving = () => false;

function describe(s) {
  if (s.state === "ended") return "Η κλήση τελείωσε. Ευχαριστούμε!";
  if (["connected", "id_verified"].includes(s.state) && !(s.clerk_video && clerkVideoMoving())) {
    return "Η σύνδεση με τον υπάλληλο διακόπηκε για λίγο και αποκαθίσταται αυτόματα. Μην κλείσετε τη σελίδα.";
  }
  if (s.state === "audio_only") return "Η ταυτότητα επιβεβαιώθηκε. Η κλήση συνεχίζεται μόνο με ήχο.";
  if (s.state === "id_verified") return "Η ταυτότητα επιβεβαιώθηκε. Συνεχίστε με τον υπάλληλο.";
  if (s.state === "connected") return "Ο υπάλληλος συνδέθηκε. Δείξτε την αστυνομική σας ταυτότητα στην κάμερα.";
  if (s.clerk_connected) return "Ο υπάλληλος συνδέθηκε.";
  if (s.clerk_busy_minutes) return `Ο υπάλληλος ολοκληρώνει μια προηγούμενη κλήση (περίπου ${s.clerk_busy_minutes} λεπτά). Παρακαλούμε περιμένετε.`;
  return "Είστε στην αίθουσα αναμονής. Ο υπάλληλος θα συνδεθεί σύντομα· μην κλείσετε τη σελίδα.";
}

async function poll(connection) {
  try {
    const response = await fetch(api("/state"), { credentials: "same-origin" });
    const s = await response.json();
    if (!response.ok) { $("status").textContent = s.error.message; connection?.close(); return; }
    $("status").textContent = describe(s);
    document.body.dataset.state = s.state;
    $("audio-only").hidden = s.video;
    KepCall.showMessages($("messages"), s.messages);
    if (s.state === "ended") { connection?.close(); return; }
  } catch (e) {
    $("status").textContent = "Χάθηκε η σύνδεση. Προσπαθούμε ξανά…";
  }
  setTimeout(() => poll(connection), 1000);
}

async function heartbeat() {
  await fetch(api("").replace("/api/calls/", "/api/join/") + "/presence", { method: "POST", credentials: "same-origin" }).catch(() => {});
  setTimeout(heartbeat, 10000);
}

async function start() {
  $("start").disabled = true;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch (e) {
    $("start").disabled = false;
    $("permission-error").textContent = "Δεν δόθηκε άδεια για κάμερα ή μικρόφωνο. Πατήστε το εικονίδιο της κλειδαριάς δίπλα στη διεύθυνση, "
      + "επιλέξτε «Επιτρέπεται» και πατήστε ξανά το κουμπί.";
    return;
  }
  sessionStorage.setItem(startedKey, "1");  // a reload rejoins without asking again
  $("local").srcObject = stream;
  clerkVideoMoving = KepCall.frameWatch($("remote"));
  $("permissions").hidden = true;
  const first = await (await fetch(api("/state"), { credentials: "same-origin" })).json();
  const connection = new KepCall.Connection({
    stream, iceServers: first.ice_servers,
    send: (offer) => KepCall.postJson(api("/offer"), offer),
    onRemote: (remote) => { $("remote").srcObject = remote; },
    onState: (state) => { document.body.dataset.connection = state; },
  });
  await connection.open();
  poll(connection);
}

document.addEventListener("DOMContentLoaded", () => {
  $("start").addEventListener("click", start);
  heartbeat();
  if (sessionStorage.getItem(startedKey)) start();
});
