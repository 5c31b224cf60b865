// Text a person typed (or a bot wrote), put on the page as text; only http(s) URLs become links.
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
};
