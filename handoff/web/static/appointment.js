// The citizen's appointment page. The two codes are typed into the form and sent in a request
// body; the service answers with a short session cookie (HttpOnly) that this script never sees.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null;  // the booking on screen

async function call(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  try {
    const response = await fetch(path, options);
    return { status: response.status, ok: response.ok, body: await response.json().catch(() => null) };
  } catch (e) {
    return { status: 0, ok: false, body: null };
  }
}

function errorText(result) {
  if (result.body && result.body.error) {
    const fields = Object.values(result.body.error.fields || {}).map((f) => f.message);
    return fields.length ? fields.join(" ") : result.body.error.message;
  }
  return "Δεν υπάρχει σύνδεση με την υπηρεσία. Ελέγξτε το διαδίκτυο και δοκιμάστε ξανά.";
}

// A modal question with two answers; resolves true for "yes". Esc means no.
function ask(title, text, yes, no) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  $("confirm-no").textContent = no;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}

function showSignIn(message, focus) {
  current = null;
  $("appointment").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message || "";
  if (focus) $("reference").focus();
}

function show(view, outcome) {
  current = view;
  $("sign-in").hidden = true;
  $("appointment").hidden = false;
  $("outcome").textContent = outcome || "";
  $("details").replaceChildren(KepText.details([
    ["Κατάσταση", view.status_text], ["Πότε", view.when], ["ΚΕΠ", view.branch], ["Θέμα", view.topic],
    ["Κωδικός ραντεβού", view.reference],
  ]));
  $("messages").textContent = view.messages;
  $("messages").hidden = !view.messages;
  const active = Boolean(view.join_url);
  $("links").hidden = !active;
  if (active) $("join").href = view.join_url;
  $("calendar").setAttribute("download", `${view.reference}.ics`);
  $("documents").replaceChildren(...KepText.list(active ? view.documents : []).children);
  $("documents-title").hidden = !active;
  $("change").hidden = view.status !== "booked";
  $("change-actions").hidden = !view.can_change;
  $("change-note").textContent = view.can_change
    ? `Μπορείτε να αλλάξετε την ώρα ή να ακυρώσετε το ραντεβού έως ${view.change_until}.`
    : `Η αλλαγή ή ακύρωση από εδώ γίνεται έως ${view.change_notice_hours} ώρες πριν από το ραντεβού, και αυτό `
      + `το διάστημα πέρασε. Για αλλαγή τηλεφωνήστε στο ${view.branch}: ${view.branch_phone}.`;
  closeTimes();
}

function closeTimes() {
  $("times").hidden = true;
  $("show-times").setAttribute("aria-expanded", "false");
}

async function refused(result) {
  if (result.status === 401) { showSignIn(errorText(result), true); return; }
  $("outcome").textContent = result.status === 409 && current
    ? `${errorText(result)} Τηλέφωνο: ${current.branch_phone}.`
    : errorText(result);
  $("appointment-title").focus();
}

async function loadTimes() {
  const after = $("after").value ? `?after=${encodeURIComponent(`${$("after").value}T00:00`)}` : "";
  $("times-status").textContent = "Αναζήτηση ελεύθερων ωρών…";
  const result = await call("GET", `/api/appointment/slots${after}`);
  if (!result.ok) { $("times-status").textContent = ""; await refused(result); return; }
  const slots = result.body.slots;
  $("time-list").replaceChildren(...slots.map((slot) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = slot.when;
    button.addEventListener("click", () => moveTo(slot));
    return button;
  }));
  $("times-status").textContent = slots.length
    ? `${slots.length} ελεύθερες ώρες. Πατήστε μία για να μεταφέρετε εκεί το ραντεβού.`
    : "Δεν βρέθηκε ελεύθερη ώρα. Δοκιμάστε άλλη ημερομηνία.";
}

async function moveTo(slot) {
  const warning = slot.changeable ? "" : ` Προσοχή: η νέα ώρα είναι σε λιγότερο από ${current.change_notice_hours} ώρες, `
    + "οπότε μετά δεν θα μπορείτε να την αλλάξετε ή να την ακυρώσετε από εδώ, μόνο τηλεφωνώντας στο ΚΕΠ.";
  const sure = await ask("Αλλαγή ώρας", `Να μεταφερθεί το ραντεβού σας από ${current.when} σε ${slot.when};${warning}`,
    "Ναι, αλλαγή ώρας", "Όχι, να μείνει ως έχει");
  if (!sure) return;
  const result = await call("POST", "/api/appointment/reschedule", { slot_id: slot.slot_id });
  if (!result.ok) { await refused(result); return; }
  show(result.body, `Έγινε: το ραντεβού σας μεταφέρθηκε σε ${result.body.when}. Ο σύνδεσμος της βιντεοκλήσης παραμένει ο ίδιος σε αυτή τη σελίδα.`);
  $("appointment-title").focus();
}

async function cancelBooking() {
  const sure = await ask("Ακύρωση ραντεβού", `Να ακυρωθεί το ραντεβού της ${current.when}; Η ώρα θα δοθεί σε άλλον πολίτη.`,
    "Ναι, ακύρωση", "Όχι, να μείνει");
  if (!sure) { $("cancel").focus(); return; }
  const result = await call("POST", "/api/appointment/cancel", {});
  if (!result.ok) { await refused(result); return; }
  show(result.body, "Το ραντεβού ακυρώθηκε. Αν χρειαστείτε νέο, γράψτε στον ψηφιακό βοηθό τι χρειάζεστε.");
  $("appointment-title").focus();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("sign-in-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reference = $("reference").value.trim(), code = $("manage-code").value.trim();
    for (const [id, value] of [["reference", reference], ["manage-code", code]]) $(id).setAttribute("aria-invalid", String(!value));
    if (!reference || !code) {
      $("sign-in-error").textContent = "Γράψτε και τους δύο κωδικούς.";
      $(reference ? "manage-code" : "reference").focus();
      return;
    }
    const result = await call("POST", "/api/appointment/session", { reference, manage_code: code });
    if (!result.ok) { $("sign-in-error").textContent = errorText(result); $("reference").focus(); return; }
    $("sign-in-form").reset();
    show(result.body);
    $("appointment-title").focus();
  });
  $("show-times").addEventListener("click", async () => {
    if (!$("times").hidden) { closeTimes(); return; }
    $("times").hidden = false;
    $("show-times").setAttribute("aria-expanded", "true");
    await loadTimes();
    const first = $("time-list").querySelector("button");
    (first || $("after")).focus();
  });
  $("after").min = new Date().toISOString().slice(0, 10);
  $("after").addEventListener("change", loadTimes);
  $("cancel").addEventListener("click", cancelBooking);
  $("sign-out").addEventListener("click", async () => {
    await call("DELETE", "/api/appointment/session");
    showSignIn("Βγήκατε. Για να δείτε ξανά το ραντεβού, γράψτε τους κωδικούς σας.", true);
  });
  const result = await call("GET", "/api/appointment");
  if (result.ok) show(result.body); else showSignIn("", false);
});
