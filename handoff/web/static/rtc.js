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
      this.pc = null; this.closed = false; this.retry = null;
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
        this.onState(pc.connectionState);
        if (pc === this.pc && ["failed", "disconnected"].includes(pc.connectionState)) this.rejoinSoon();
      });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      try {
        const answer = await this.send({ sdp: pc.localDescription.sdp, type: pc.localDescription.type });
        await pc.setRemoteDescription(answer);
      } catch (e) {
        this.onState("failed");
        this.rejoinSoon();
      }
    }

    rejoinSoon() {
      if (this.retry || this.closed) return;
      this.retry = setTimeout(() => { this.retry = null; this.open(); }, 2000);
    }

    close() { this.closed = true; if (this.pc) this.pc.close(); }
  }

  async function postJson(url, body, headers = {}) {
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error((data && data.error && data.error.message) || "Σφάλμα σύνδεσης.");
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
