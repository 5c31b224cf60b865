// The citizen's call page: the waiting room, then the call. The join token in the URL is the
// only credential.
"use strict";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const api = (path) => `/api/calls/${encodeURIComponent(token)}${path}`;
const startedKey = `kep-call-started:${token}`;

// The call as this page holds it: camera and microphone, the connection, what is shown.
const call = { media: null, connection: null, relabel: () => {}, clerkVideoMoving: () => false, over: false,
               appointment: null, clockOffset: 0 };

// The service's time (the countdown must not depend on the device's clock being right).
const serviceNow = () => Date.now() + call.clockOffset;

function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

function countdown(ms) {
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return ms > 0 ? "Ξεκινά σε λιγότερο από ένα λεπτό." : "Η ώρα του ραντεβού σας έφτασε.";
  const days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), rest = minutes % 60;
  const parts = [days && plural(days, "ημέρα", "ημέρες"), hours && plural(hours, "ώρα", "ώρες"), rest && plural(rest, "λεπτό", "λεπτά")];
  const said = parts.filter(Boolean);
  return `Ξεκινά σε ${said.length > 1 ? `${said.slice(0, -1).join(", ")} και ${said.at(-1)}` : said[0]}.`;
}

const CALL_BEGUN = ["connected", "id_verified", "audio_only"];

// When, where, with whom, and how long until then.
function showAppointment() {
  const a = call.appointment;
  if (!a) return;
  $("appointment").hidden = call.over;
  $("appointment-when").textContent = `${KepText.day(a.start)}, ${KepText.time(a.start)}–${KepText.time(a.end)} · ${a.branch_name}`
    + (a.clerk_name ? ` · υπάλληλος: ${a.clerk_name}` : "");
  $("countdown").textContent = countdown(new Date(a.start).getTime() - serviceNow());
  $("countdown").hidden = CALL_BEGUN.includes(document.body.dataset.state);  // «Ξεκινά σε …» is no more true
}

// Before the clerk joins: when they will.
function clerkComing(s) {
  const a = call.appointment;
  const clerk = a && a.clerk_name ? `Ο υπάλληλός σας (${a.clerk_name})` : "Ο υπάλληλος";
  if (s.clerk_busy_minutes) {
    const around = KepText.time(serviceNow() + s.clerk_busy_minutes * 60000);
    return `${clerk} ολοκληρώνει μια προηγούμενη κλήση· θα συνδεθεί σε περίπου ${plural(s.clerk_busy_minutes, "λεπτό", "λεπτά")}, γύρω στις ${around}. Μην κλείσετε τη σελίδα.`;
  }
  if (a && new Date(a.start).getTime() > serviceNow()) return `${clerk} θα συνδεθεί στις ${KepText.time(a.start)}. Είστε στην αίθουσα αναμονής.`;
  return `${clerk} θα συνδεθεί σε λίγο· μην κλείσετε τη σελίδα.`;
}

function describe(s) {
  if (!$("elsewhere").hidden) return KepCall.ELSEWHERE;
  if (CALL_BEGUN.includes(s.state) && !call.connection && !sessionStorage.getItem(startedKey)) {
    return "Η κλήση έχει ήδη ξεκινήσει. Πατήστε «Έναρξη κάμερας και μικροφώνου» για να συνεχίσετε σε αυτή τη σελίδα.";
  }
  if (s.state === "audio_only") return "Η ταυτότητα επιβεβαιώθηκε. Η κλήση συνεχίζεται μόνο με ήχο.";
  if (["connected", "id_verified"].includes(s.state)) {
    if (!s.clerk_connected) return "Ο υπάλληλος αποσυνδέθηκε για λίγο. Μείνετε στη σελίδα· η κλήση θα συνεχιστεί μόλις επιστρέψει.";
    if (s.clerk_camera && !(s.clerk_video && call.clerkVideoMoving())) {
      return "Η σύνδεση με τον υπάλληλο διακόπηκε για λίγο και αποκαθίσταται αυτόματα. Μην κλείσετε τη σελίδα.";
    }
  }
  if (s.state === "id_verified") return "Η ταυτότητα επιβεβαιώθηκε. Συνεχίστε με τον υπάλληλο.";
  if (s.state === "connected") return "Ο υπάλληλος συνδέθηκε. Δείξτε στην κάμερα το έγγραφο ταυτότητας που δηλώσατε.";
  if (s.clerk_connected && !call.connection) return "Ο υπάλληλος σας περιμένει. Πατήστε «Έναρξη κάμερας και μικροφώνου» για να μπείτε στην κλήση.";
  if (s.clerk_connected) return "Ο υπάλληλος συνδέθηκε.";
  return clerkComing(s);
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
  next.append(chat, ". Να έχετε μαζί σας το έγγραφο ταυτότητας που θα δηλώσετε, να δώσετε τον αριθμό του ακριβώς όπως είναι "
    + "γραμμένος και να το δείξετε στην κάμερα σε καλό φωτισμό. Μπορείτε επίσης να πάτε σε ένα ΚΕΠ με το έγγραφό σας.");
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
    const askedAt = Date.now();
    const response = await fetch(KepCall.stateUrl(api("/state")), { credentials: "same-origin" });
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
    if (call.connection) call.connection.serviceSees(s.citizen_connected, s.elsewhere, askedAt);
  } catch (e) {
    $("status").textContent = "Χάθηκε η σύνδεση. Προσπαθούμε ξανά…";
  }
  setTimeout(poll, 1000);
}

async function heartbeat() {
  if (call.over) return;
  const response = await fetch(api("").replace("/api/calls/", "/api/join/") + "/presence", { method: "POST", credentials: "same-origin" }).catch(() => null);
  const seen = response && response.ok ? await response.json().catch(() => null) : null;
  if (seen && seen.appointment) {
    call.appointment = seen.appointment;
    call.clockOffset = new Date(seen.appointment.now).getTime() - Date.now();
    showAppointment();
  }
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
  $("elsewhere").hidden = true;
  call.clerkVideoMoving = KepCall.frameWatch($("remote"));
  $("permissions").hidden = true; $("left").hidden = true; $("controls").hidden = false;
  call.connection = new KepCall.Connection({
    media, stateUrl: KepCall.stateUrl(api("/state")),
    send: (offer) => KepCall.postJson(api("/offer"), offer),
    onRemote: (remote) => { $("remote").srcObject = remote; },
    onState: (state) => { document.body.dataset.connection = state; },
    onElsewhere: takenElsewhere,
  });
  call.relabel();
  await call.connection.open();
}

// The link was opened on another device or tab, which joined after this page: the call is
// there now, and this page lets it go (without leaving the call) until the person takes it back.
function takenElsewhere() {
  if (!call.connection) return;
  hangUp();
  sessionStorage.removeItem(startedKey);
  $("elsewhere").hidden = false;
  $("status").textContent = KepCall.ELSEWHERE;
  $("take-back").focus();
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
  $("take-back").addEventListener("click", () => { $("start").disabled = false; start(); });
  call.media = new KepCall.LocalMedia($("local"));
  call.relabel = KepCall.bindDeviceButtons({
    media: call.media,
    connection: () => call.connection,
    report: (devices) => KepCall.postJson(api("/devices"), devices),
    note: $("controls-note"), mute: $("mute"), camera: $("camera"),
  });
  heartbeat();
  setInterval(showAppointment, 1000);
  poll();
  if (sessionStorage.getItem(startedKey)) start();
});
