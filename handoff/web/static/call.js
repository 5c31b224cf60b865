// The citizen's call page: the waiting room, then the call. The join token in the URL is the
// only credential.
"use strict";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const api = (path) => `/api/calls/${encodeURIComponent(token)}${path}`;
const startedKey = `kep-call-started:${token}`;

// The call as this page holds it: camera and microphone, the connection, what is shown.
const call = { media: null, connection: null, relabel: () => {}, clerkVideoMoving: () => false, over: false };

function describe(s) {
  if (s.state === "audio_only") return "Η ταυτότητα επιβεβαιώθηκε. Η κλήση συνεχίζεται μόνο με ήχο.";
  if (["connected", "id_verified"].includes(s.state)) {
    if (!s.clerk_connected) return "Ο υπάλληλος αποσυνδέθηκε για λίγο. Μείνετε στη σελίδα· η κλήση θα συνεχιστεί μόλις επιστρέψει.";
    if (s.clerk_camera && !(s.clerk_video && call.clerkVideoMoving())) {
      return "Η σύνδεση με τον υπάλληλο διακόπηκε για λίγο και αποκαθίσταται αυτόματα. Μην κλείσετε τη σελίδα.";
    }
  }
  if (s.state === "id_verified") return "Η ταυτότητα επιβεβαιώθηκε. Συνεχίστε με τον υπάλληλο.";
  if (s.state === "connected") return "Ο υπάλληλος συνδέθηκε. Δείξτε την αστυνομική σας ταυτότητα στην κάμερα.";
  if (s.clerk_connected && !call.connection) return "Ο υπάλληλος σας περιμένει. Πατήστε «Έναρξη κάμερας και μικροφώνου» για να μπείτε στην κλήση.";
  if (s.clerk_connected) return "Ο υπάλληλος συνδέθηκε.";
  if (s.clerk_busy_minutes) return `Ο υπάλληλος ολοκληρώνει μια προηγούμενη κλήση (περίπου ${s.clerk_busy_minutes} λεπτά). Παρακαλούμε περιμένετε.`;
  return "Είστε στην αίθουσα αναμονής. Ο υπάλληλος θα συνδεθεί σύντομα· μην κλείσετε τη σελίδα.";
}

function clerkDevices(s) {
  const off = [!s.clerk_camera && s.state !== "audio_only" && "την κάμερα", !s.clerk_microphone && "το μικρόφωνο"].filter(Boolean);
  return off.length && s.clerk_connected ? ` Ο υπάλληλος έκλεισε ${off.join(" και ")} του.` : "";
}

function paragraph(text) { const p = document.createElement("p"); p.textContent = text; return p; }

// The end of the call, in plain words: after a rejected ID, why and what to do next.
function showEnded(s) {
  $("status").textContent = "Η κλήση τελείωσε.";
  const chat = document.createElement("a");
  chat.href = "/"; chat.textContent = "Κλείστε νέο ραντεβού από τη συνομιλία";
  const next = document.createElement("p");
  next.append(chat, ". Να έχετε μαζί σας την αστυνομική σας ταυτότητα, να δώσετε τον αριθμό της ακριβώς όπως είναι "
    + "γραμμένος στην κάρτα και να τη δείξετε στην κάμερα σε καλό φωτισμό. Μπορείτε επίσης να πάτε σε ένα ΚΕΠ με την ταυτότητά σας.");
  if (s.ended_because === "id_rejected") {
    $("ended-title").textContent = "Η ταυτότητά σας δεν επιβεβαιώθηκε";
    $("ended-text").replaceChildren(
      paragraph("Ο υπάλληλος δεν μπόρεσε να επιβεβαιώσει την ταυτότητά σας, γι' αυτό η κλήση τελείωσε και το ραντεβού έκλεισε."),
      paragraph(`Ο λόγος, όπως τον έγραψε ο υπάλληλος: «${s.rejection_reason}»`),
      paragraph("Τι μπορείτε να κάνετε:"), next,
    );
  } else {
    $("ended-title").textContent = "Η κλήση τελείωσε";
    $("ended-text").replaceChildren(paragraph("Ευχαριστούμε που εξυπηρετηθήκατε από το ΚΕΠ. Η κάμερα και το μικρόφωνο έκλεισαν."));
  }
  $("ended").hidden = false;
}

// Everything off: connection closed, camera and microphone released.
function hangUp() {
  if (call.connection) call.connection.close();
  call.media.stop();
  call.connection = null;
  $("controls").hidden = true;
}

async function poll() {
  try {
    const response = await fetch(api("/state"), { credentials: "same-origin" });
    const s = await response.json();
    if (!response.ok) { $("status").textContent = s.error.message; hangUp(); $("permissions").hidden = true; return; }
    document.body.dataset.state = s.state;
    KepCall.showMessages($("messages"), s.messages);
    if (s.state === "ended") {
      call.over = true;
      hangUp();
      sessionStorage.removeItem(startedKey);
      $("permissions").hidden = true; $("left").hidden = true; $("videos").hidden = true;
      showEnded(s);
      return;
    }
    $("audio-only").hidden = s.video;
    $("remote").classList.toggle("frozen", !s.video);
    $("camera").hidden = !s.video;
    if (!s.video && call.media.camera) {  // audio-only: the camera is released
      await call.media.setCamera(false);
      if (call.connection) await call.connection.replaceTrack("video", null);
      call.relabel();
    }
    if ($("left").hidden) $("status").textContent = describe(s) + clerkDevices(s);
  } catch (e) {
    $("status").textContent = "Χάθηκε η σύνδεση. Προσπαθούμε ξανά…";
  }
  setTimeout(poll, 1000);
}

async function heartbeat() {
  if (call.over) return;
  await fetch(api("").replace("/api/calls/", "/api/join/") + "/presence", { method: "POST", credentials: "same-origin" }).catch(() => {});
  setTimeout(heartbeat, 10000);
}

async function start() {
  $("start").disabled = true;
  const first = await (await fetch(api("/state"), { credentials: "same-origin" })).json();
  if (first.state === "ended") return;
  const media = call.media;
  try {
    await media.start({ video: first.state !== "audio_only" });
  } catch (e) {
    $("start").disabled = false;
    $("permission-error").textContent = "Δεν δόθηκε άδεια για κάμερα ή μικρόφωνο. Πατήστε το εικονίδιο της κλειδαριάς δίπλα στη διεύθυνση, "
      + "επιλέξτε «Επιτρέπεται» και πατήστε ξανά το κουμπί.";
    return;
  }
  sessionStorage.setItem(startedKey, "1");  // a reload rejoins without asking again
  call.clerkVideoMoving = KepCall.frameWatch($("remote"));
  $("permissions").hidden = true; $("left").hidden = true; $("controls").hidden = false;
  call.connection = new KepCall.Connection({
    media, stateUrl: api("/state"),
    send: (offer) => KepCall.postJson(api("/offer"), offer),
    onRemote: (remote) => { $("remote").srcObject = remote; },
    onState: (state) => { document.body.dataset.connection = state; },
  });
  call.relabel();
  await call.connection.open();
}

async function leave() {
  hangUp();
  sessionStorage.removeItem(startedKey);
  $("left").hidden = false;
  $("status").textContent = "Αποχωρήσατε από την κλήση.";
  await KepCall.postJson(api("/leave"), {}).catch(() => {});
}

document.addEventListener("DOMContentLoaded", () => {
  $("start").addEventListener("click", start);
  $("rejoin").addEventListener("click", () => { $("start").disabled = false; start(); });
  $("leave").addEventListener("click", leave);
  call.media = new KepCall.LocalMedia($("local"));
  call.relabel = KepCall.bindDeviceButtons({
    media: call.media,
    connection: () => call.connection,
    report: (devices) => KepCall.postJson(api("/devices"), devices),
    note: $("controls-note"), mute: $("mute"), camera: $("camera"),
  });
  heartbeat();
  poll();
  if (sessionStorage.getItem(startedKey)) start();
});
