// What both call pages share: the camera and microphone (LocalMedia), one RTCPeerConnection
// with the service (no trickle ICE: the offer is sent once its candidates are gathered) that
// rejoins by itself after a drop, and the mute / camera buttons.
"use strict";

window.KepCall = (() => {
  // This page load's id, sent with its offers and state polls: of a side's pages (two devices,
  // two tabs), the one that joined last holds the call (calls.py), the others are told so.
  const connectionId = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", check); resolve(); } };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(resolve, 3000);  // send what we have
    });
  }

  // This page's camera and microphone. Muting disables the microphone's track; turning the
  // camera off stops it (the camera light goes off) and asks for it again when turned on.
  class LocalMedia {
    constructor(preview) { this.preview = preview; this.stream = new MediaStream(); }

    async start({ video }) {
      const got = await navigator.mediaDevices.getUserMedia({ audio: true, video });
      for (const track of got.getTracks()) this.stream.addTrack(track);
      this.preview.srcObject = this.stream;
    }

    track(kind) { return this.stream.getTracks().find((t) => t.kind === kind) || null; }
    get camera() { return Boolean(this.track("video")); }
    get microphone() { const audio = this.track("audio"); return Boolean(audio && audio.enabled); }
    setMicrophone(on) { const audio = this.track("audio"); if (audio) audio.enabled = on; }

    async setCamera(on) {
      const current = this.track("video");
      if (!on && current) { current.stop(); this.stream.removeTrack(current); return null; }
      if (on && !current) {
        const [video] = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks();
        this.stream.addTrack(video);
        this.preview.srcObject = this.stream;
        return video;
      }
      return current;
    }

    stop() {
      for (const track of this.stream.getTracks()) { track.stop(); this.stream.removeTrack(track); }
      this.preview.srcObject = null;
    }
  }

  // Keeps one connection up: `send(offer)` posts it and returns the answer. The offer always
  // has an audio and a video section (a camera turned off sends nothing), so the other side's
  // media keeps coming whatever this side's devices do.
  // `stateUrl` gives the ICE servers, read again at every (re)join: the TURN credentials in
  // them expire. Its first offer takes the call (from another page of this side, if one has
  // it); once answered, its re-offers after a drop only resume, and when another page has
  // joined since, the service refuses them: `onElsewhere` is called and this connection closes
  // (a deliberate new Connection takes the call back).
  class Connection {
    constructor({ media, stateUrl, send, onRemote, onState, onElsewhere }) {
      Object.assign(this, { media, stateUrl, send, onRemote, onState, onElsewhere });
      this.pc = null; this.closed = false; this.retry = null; this.failures = 0; this.iceServers = [];
      this.answeredAt = 0;
    }

    async open() {
      if (this.closed) return;
      if (this.pc) this.pc.close();
      try {
        const response = await fetch(this.stateUrl, { credentials: "same-origin" });
        if (response.ok) this.iceServers = (await response.json()).ice_servers;
      } catch (e) { /* offline: the last ones, and the offer will fail and be retried */ }
      const pc = new RTCPeerConnection({ iceServers: this.iceServers });
      this.pc = pc;
      for (const kind of ["audio", "video"]) {
        pc.addTransceiver(this.media.track(kind) || kind, { direction: "sendrecv", streams: [this.media.stream] });
      }
      const remote = new MediaStream();
      pc.addEventListener("track", (e) => { remote.addTrack(e.track); this.onRemote(remote); });
      pc.addEventListener("connectionstatechange", () => {
        if (pc !== this.pc) return;
        this.onState(pc.connectionState);
        if (pc.connectionState === "connected") this.failures = 0;
        if (["failed", "disconnected"].includes(pc.connectionState)) this.rejoinSoon();
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      try {
        const answer = await this.send({ sdp: pc.localDescription.sdp, type: pc.localDescription.type,
          camera: this.media.camera, microphone: this.media.microphone,
          connection: connectionId, resume: this.answeredAt > 0 });
        this.answeredAt = Date.now();
        if (pc === this.pc) await pc.setRemoteDescription(answer);
      } catch (e) {
        if (pc !== this.pc || this.closed) return;
        if (e.code === "taken_elsewhere") { this.elsewhere(); return; }
        this.onState("failed");
        // Another offer of this side was just answered (another tab, a reload): again shortly.
        if (e.code === "offer_in_progress") { this.rejoinSoon(2500); return; }
        // The call is over or not ours (403/409): the state poll says so; no point offering again.
        if (![401, 403, 409].includes(e.status)) this.rejoinSoon(e.status === 429 ? 30000 : 0);
      }
    }

    async replaceTrack(kind, track) {
      const transceiver = this.pc && this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
      if (transceiver) await transceiver.sender.replaceTrack(track);
    }

    // What the service says of this side, at every state poll asked at `askedAt`. Another page
    // joined after this one's answer: it holds the call now. Connected here but not there,
    // twice in a row: the process that held the call's media is gone (or restarted), so offer
    // again now; whichever process receives the offer takes the call over.
    serviceSees(connected, elsewhere, askedAt) {
      if (this.closed) return;
      if (elsewhere && this.answeredAt && askedAt > this.answeredAt) { this.elsewhere(); return; }
      if (connected || !this.pc || this.pc.connectionState !== "connected") { this.unseen = 0; return; }
      this.unseen = (this.unseen || 0) + 1;
      if (this.unseen >= 2 && !this.retry) { this.unseen = 0; this.open(); }
    }

    // Again after 2 s, then 4, 8… up to 20 s while it keeps failing.
    rejoinSoon(delay = 0) {
      if (this.retry || this.closed) return;
      const wait = Math.max(delay, Math.min(2000 * 2 ** this.failures, 20000));
      this.failures += 1;
      this.retry = setTimeout(() => { this.retry = null; this.open(); }, wait);
    }

    close() { this.closed = true; clearTimeout(this.retry); if (this.pc) this.pc.close(); }

    elsewhere() { this.close(); this.onElsewhere(); }
  }

  const ELSEWHERE = "Η κλήση συνεχίζεται σε άλλη συσκευή ή καρτέλα.";

  // A page's state URL, saying which page asks.
  const stateUrl = (url) => `${url}?connection=${connectionId}`;

  async function postJson(url, body, headers = {}) {
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || "Σφάλμα σύνδεσης.");
      error.status = response.status;
      error.code = data && data.error && data.error.code;
      throw error;
    }
    return data;
  }

  // The mute and camera buttons. `report(devices)` tells the service (which may refuse, with
  // a message, e.g. the citizen's camera before the ID check) before the camera goes off.
  function bindDeviceButtons({ media, connection, report, note, mute, camera }) {
    const label = () => {
      mute.textContent = media.microphone ? "Σίγαση μικροφώνου" : "Άνοιγμα μικροφώνου";
      mute.setAttribute("aria-pressed", String(!media.microphone));
      camera.textContent = media.camera ? "Κλείσιμο κάμερας" : "Άνοιγμα κάμερας";
      camera.setAttribute("aria-pressed", String(!media.camera));
    };
    const devices = (changes) => ({ camera: media.camera, microphone: media.microphone, ...changes });
    mute.addEventListener("click", async () => {
      note.textContent = "";
      const on = !media.microphone;
      media.setMicrophone(on);
      label();
      await report(devices({})).catch((e) => { note.textContent = e.message; });
    });
    camera.addEventListener("click", async () => {
      note.textContent = "";
      const on = !media.camera;
      try {
        await report(devices({ camera: on }));
        const track = await media.setCamera(on);
        if (connection()) await connection().replaceTrack("video", track);
      } catch (e) { note.textContent = e.message; }
      label();
    });
    label();
    return label;
  }

  // Whether a <video> is showing new pictures: its decoded-frame count rose in the last 2 s.
  // A frozen picture (a still image of an ID card) is not a live video.
  function frameWatch(video) {
    let frames = -1; let changedAt = 0;
    return () => {
      const now = Date.now();
      const count = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
      if (count !== frames) { frames = count; if (count > 0) changedAt = now; }
      return count > 0 && now - changedAt < 2000;
    };
  }

  function showMessages(list, messages) {
    if (list.childElementCount === messages.length) return;
    list.replaceChildren(...messages.map((m) => { const li = document.createElement("li"); KepText.withLinks(li, m.text); return li; }));
  }

  return { LocalMedia, Connection, stateUrl, ELSEWHERE, postJson, bindDeviceButtons, frameWatch, showMessages };
})();
