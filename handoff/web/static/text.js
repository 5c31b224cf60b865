// Text a person typed (or a bot wrote), put on the page as text; only http(s) URLs become links;
// dates and times as Greeks write them (24-hour clock, Athens time). Shared by every page.
"use strict";

const KEP_ZONE = { timeZone: "Europe/Athens" };
const KEP_DAY = new Intl.DateTimeFormat("el-GR", { weekday: "long", day: "numeric", month: "long", ...KEP_ZONE });
const KEP_TIME = new Intl.DateTimeFormat("el-GR", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...KEP_ZONE });

window.KepText = {
  // «Δευτέρα 4 Φεβρουαρίου»
  day(when) { return KEP_DAY.format(new Date(when)); },
  // «13:30», never «01:30 μ.μ.»
  time(when) { return KEP_TIME.format(new Date(when)); },
  // «Δευτέρα 4 Φεβρουαρίου, 13:30»
  dateTime(when) { return `${this.day(when)}, ${this.time(when)}`; },

  withLinks(parent, text) {
    for (const part of text.split(/(https?:\/\/[^\s<>"]+)/g)) {
      if (/^https?:\/\//.test(part)) {
        const a = document.createElement("a");
        a.href = part; a.textContent = part; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.append(a);
      } else if (part) {
        parent.append(document.createTextNode(part));
      }
    }
  },

  // Label/value pairs as a <dl>; pairs without a value are left out.
  details(pairs) {
    const dl = document.createElement("dl");
    for (const [label, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      dl.append(dt, dd);
    }
    return dl;
  },

  list(items) {
    const ul = document.createElement("ul");
    for (const item of items) { const li = document.createElement("li"); li.textContent = item; ul.append(li); }
    return ul;
  },
};
