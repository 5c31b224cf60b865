// What both call pages share: one RTCPeerConnection with the service (no trickle ICE: the
// offer is sent once its candidates are gathered), rejoining by itself after a drop.
"use strict";

window.KepCall = (() => {
  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", check); resolve(); } };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(resolve, 3000);  // send what we have
    });
  }

  // Keeps one connection up: `send(offer)` posts it and returns the answer.
  class Connection {
    constructor({ stream, iceServers, send, onRemote, onState }) {
      Object.assign(this, { stream, iceServers, send, onRemote, onState });
      this.pc = null; this.closed = false; this.retry = null; this.failures = 0;
    }

    async open() {
      if (this.closed) return;
      if (this.pc) this.pc.close();
      const pc = new RTCPeerConnection({ iceServers: this.iceServers || [] });
      this.pc = pc;
      for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
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
        const answer = await this.send({ sdp: pc.localDescription.sdp, type: pc.localDescription.type });
        await pc.setRemoteDescription(answer);
      } catch (e) {
        this.onState("failed");
        // The call is over or not ours (403/409): the state poll says so; no point offering again.
        if (![401, 403, 409].includes(e.status)) this.rejoinSoon(e.status === 429 ? 30000 : 0);
      }
    }

    // Again after 2 s, then 4, 8… up to 20 s while it keeps failing.
    rejoinSoon(delay = 0) {
      if (this.retry || this.closed) return;
      const wait = Math.max(delay, Math.min(2000 * 2 ** this.failures, 20000));
      this.failures += 1;
      this.retry = setTimeout(() => { this.retry = null; this.open(); }, wait);
    }

    close() { this.closed = true; clearTimeout(this.retry); if (this.pc) this.pc.close(); }
  }

  async function postJson(url, body, headers = {}) {
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || "Σφάλμα σύνδεσης.");
      error.status = response.status;
      throw error;
    }
    return data;
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

  return { Connection, postJson, showMessages, frameWatch };
})();
