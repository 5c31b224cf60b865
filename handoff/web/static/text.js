// Text a person typed (or a bot wrote), put on the page as text; only http(s) URLs become links.
// Shared by the citizen's pages.
"use strict";

window.KepText = {
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
