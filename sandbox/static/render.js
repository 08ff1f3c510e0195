// Telegram message entities as safe HTML, for the sandbox chat page.
"use strict";

function escapeHtml(text) {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function safeUrl(url) {
  const value = String(url || "").trim();
  return /^(https?:|tg:|mailto:)/i.test(value) ? value : null;
}

function wrapEntity(entity, inner, slice) {
  switch (entity.type) {
    case "bold": return `<b>${inner}</b>`;
    case "italic": return `<i>${inner}</i>`;
    case "underline": return `<u>${inner}</u>`;
    case "strikethrough": return `<s>${inner}</s>`;
    case "code": return `<code>${inner}</code>`;
    case "pre": return `<pre><code>${inner}</code></pre>`;
    case "spoiler": return `<span class="spoiler" title="点击显示 spoiler">${inner}</span>`;
    case "blockquote": return `<blockquote>${inner}</blockquote>`;
    case "expandable_blockquote": return `<blockquote class="expandable">${inner}</blockquote>`;
    case "bot_command": return `<span class="cmd">${inner}</span>`;
    case "text_link":
    case "url": {
      const href = safeUrl(entity.type === "url" ? slice : entity.url);
      if (!href) return inner;
      return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>`;
    }
    default: return inner;
  }
}

// Entity offsets are UTF-16 code units, which is exactly how JS strings index.
function renderRange(text, start, end, entities) {
  let out = "";
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const from = Math.max(entity.offset, pos);
    const to = Math.min(entity.offset + entity.length, end);
    if (from >= to) { i += 1; continue; }
    const children = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < to) { children.push(entities[j]); j += 1; }
    out += escapeHtml(text.slice(pos, from));
    out += wrapEntity(entity, renderRange(text, from, to, children), text.slice(from, to));
    pos = to;
    i = j;
  }
  return out + escapeHtml(text.slice(pos, end));
}

function renderText(text, entities) {
  const sorted = [...(entities || [])]
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  return renderRange(text, 0, text.length, sorted);
}
