// Web chat for the duban sandbox: act as a persona and talk to the bot through the user API.
"use strict";

const API = "/sandbox/api";
const POLL_SECONDS = 25;
// The office's zone (settings time.timezone, read from the clock API at start): bubbles, days
// and the sandbox clock all use it.
let ZONE = "Asia/Shanghai";

const state = {
  personas: new Map(),
  current: null, // user_id of the persona we act as
  messages: new Map(), // message_id -> view, for the current chat
  lastSeq: 0,
  bot: null,
  typingTimer: null,
  toastTimer: null,
  pollGeneration: 0,
};

const $ = (selector) => document.querySelector(selector);

// --- HTTP -------------------------------------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  let data;
  try {
    data = await response.json();
  } catch (err) {
    throw new Error(`HTTP ${response.status}`);
  }
  if (!response.ok || !data.ok) {
    throw new Error(data.error || `HTTP ${response.status}`);
  }
  return data;
}

// --- small helpers ----------------------------------------------------------------------------

const AVATAR_COLORS = ["#e17076", "#faa774", "#a695e7", "#7bc862", "#6ec9cb", "#65aadd", "#ee7aae"];

function avatarColor(id) {
  return AVATAR_COLORS[Math.abs(Number(id)) % AVATAR_COLORS.length];
}

function fullName(p) {
  return [p.first_name, p.last_name].filter(Boolean).join(" ");
}

function formatTime(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleTimeString("zh-CN", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hour12: false });
}

function formatDay(unix) {
  const d = new Date(unix * 1000);
  return d.toLocaleDateString("zh-CN", { timeZone: ZONE, month: "long", day: "numeric", weekday: "short" });
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function previewOf(view) {
  if (!view) return "";
  if (view.text) return view.text;
  if (view.photo) return `🖼 ${view.caption || "图片 Photo"}`;
  if (view.document) return `📄 ${view.document.file_name || "文件 File"}`;
  return "";
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- personas ---------------------------------------------------------------------------------

async function loadPersonas() {
  const data = await api("GET", "/personas");
  state.personas = new Map(data.personas.map((p) => [p.user_id, p]));
  renderPersonas();
}

function renderPersonas() {
  const list = $("#persona-list");
  list.querySelectorAll(".persona").forEach((node) => node.remove());
  $("#persona-empty").hidden = state.personas.size > 0;
  for (const p of state.personas.values()) {
    const item = el("button", "persona");
    item.type = "button";
    item.dataset.userId = String(p.user_id);
    if (p.user_id === state.current) {
      item.classList.add("active");
      item.setAttribute("aria-current", "true");
    }

    const avatar = el("div", "avatar", (p.first_name || "?").slice(0, 1));
    avatar.style.background = avatarColor(p.user_id);
    const main = el("div", "persona-main");
    const top = el("div", "persona-top");
    const name = el("div", "persona-name", fullName(p));
    if (p.blocked) name.appendChild(el("span", "badge-blocked", "已屏蔽"));
    top.appendChild(name);
    if (p.last_message) top.appendChild(el("div", "persona-time", formatTime(p.last_message.date)));
    main.appendChild(top);
    const subtitle = p.note || `ID ${p.user_id} · ${p.language_code || "-"}`;
    main.appendChild(el("div", "persona-note", subtitle));
    const preview = previewOf(p.last_message);
    if (preview) {
      const prefix = p.last_message.from_bot ? "" : "我: ";
      main.appendChild(el("div", "persona-preview", prefix + preview));
    }
    item.append(avatar, main);
    item.addEventListener("click", () => selectPersona(p.user_id));
    list.appendChild(item);
  }
  document.dispatchEvent(new CustomEvent("personas-loaded"));
}

let personaRefresh = null;
function refreshPersonasSoon() {
  clearTimeout(personaRefresh);
  personaRefresh = setTimeout(() => loadPersonas().catch(console.error), 150);
}

async function createPersona(event) {
  event.preventDefault();
  const error = $("#persona-error");
  error.hidden = true;
  const body = {
    user_id: Number($("#new-user-id").value),
    first_name: $("#new-first-name").value.trim(),
    language_code: $("#new-language").value,
    note: $("#new-note").value.trim(),
  };
  try {
    await api("POST", "/personas", body);
    $("#new-persona").reset();
    await loadPersonas();
    await selectPersona(body.user_id);
  } catch (err) {
    error.textContent = `创建失败 ${err.message}`;
    error.hidden = false;
  }
}

// --- chat -------------------------------------------------------------------------------------

async function selectPersona(userId) {
  state.current = userId;
  window.location.hash = `user=${userId}`;
  renderPersonas();
  const p = state.personas.get(userId);
  $("#acting-as").hidden = !p;
  $("#acting-name").textContent = p ? `${fullName(p)} (${p.user_id})` : "";
  $("#message-input").disabled = false;
  $("#send").disabled = false;
  hideTyping();
  $("#commands-menu").hidden = true;
  document.dispatchEvent(new CustomEvent("persona-selected", { detail: { userId } }));
  await loadChat();
  $("#message-input").focus();
}

// After a reset nobody acts: the "choose a persona" placeholder, the composer off.
function showNoChat() {
  const box = $("#messages");
  box.innerHTML = "";
  box.appendChild(state.noChat);
  $("#acting-as").hidden = true;
  $("#message-input").disabled = true;
  $("#send").disabled = true;
  $("#reply-keyboard").hidden = true;
  $("#commands-menu").hidden = true;
  hideTyping();
}

async function loadChat() {
  if (state.current === null) return;
  const data = await api("GET", `/chats/${state.current}`);
  state.messages = new Map();
  const box = $("#messages");
  box.innerHTML = "";
  for (const view of data.messages) upsertMessage(view, { flash: false, scroll: false });
  if (!data.messages.length) {
    const hint = el("div", "placeholder");
    hint.id = "empty-chat";
    hint.append(el("div", "placeholder-icon", "👋"), el("div", "", "发送 /start 开始"),
      el("div", "placeholder-sub", "Send /start to begin"));
    box.appendChild(hint);
  }
  renderReplyKeyboard(data.reply_keyboard);
  scrollToBottom();
}

function scrollToBottom() {
  const box = $("#messages");
  box.scrollTop = box.scrollHeight;
}

function buildBubble(view) {
  const bubble = el("div", "bubble");
  if (view.reply_to_message_id) {
    const target = state.messages.get(view.reply_to_message_id);
    const quote = el("div", "reply-quote", target ? previewOf(target) : `#${view.reply_to_message_id}`);
    bubble.appendChild(quote);
  }
  if (view.photo) {
    const img = el("img", "photo");
    img.src = view.photo.url;
    img.alt = "photo";
    img.width = view.photo.width;
    img.height = view.photo.height;
    bubble.appendChild(img);
  }
  if (view.document) {
    const link = el("a", "document");
    link.href = view.document.url;
    link.target = "_blank";
    link.rel = "noopener";
    const info = el("div");
    info.append(el("div", "document-name", view.document.file_name || "file"),
      el("div", "document-size", formatSize(view.document.file_size || 0)));
    link.append(el("div", "document-icon", "📄"), info);
    bubble.appendChild(link);
  }
  const body = view.text !== null && view.text !== undefined ? view.text : view.caption;
  const bodyEntities = view.text !== null && view.text !== undefined
    ? view.entities : view.caption_entities;
  const meta = el("span", "meta");
  if (view.edit_count > 0) meta.appendChild(el("span", "edited", "已编辑"));
  meta.appendChild(el("time", "", formatTime(view.edit_date || view.date)));
  if (!view.from_bot) meta.appendChild(el("span", "check", "✓✓"));
  if (body) {
    const text = el("div", "text");
    text.innerHTML = renderText(body, bodyEntities);
    text.appendChild(meta);
    bubble.appendChild(text);
  } else {
    bubble.appendChild(meta);
  }
  bubble.querySelectorAll(".spoiler").forEach((node) => {
    node.addEventListener("click", () => node.classList.add("revealed"));
  });
  return bubble;
}

function buildKeyboard(view) {
  const rows = (view.reply_markup && view.reply_markup.inline_keyboard) || [];
  if (!rows.length) return null;
  const keyboard = el("div", "keyboard");
  for (const row of rows) {
    const rowNode = el("div", "kb-row");
    for (const button of row) {
      const node = el("button", "kb-button", button.text);
      node.type = "button";
      if (button.callback_data !== undefined) {
        node.dataset.callbackData = button.callback_data;
        node.addEventListener("click", () => pressButton(view.message_id, button.callback_data, node));
      } else if (button.url) {
        node.classList.add("url-button");
        node.title = button.url;
        node.addEventListener("click", () => {
          const href = safeUrl(button.url);
          if (href) window.open(href, "_blank", "noopener");
        });
      } else {
        node.disabled = true;
      }
      rowNode.appendChild(node);
    }
    keyboard.appendChild(rowNode);
  }
  return keyboard;
}

function buildMessage(view) {
  const node = el("div", `msg ${view.from_bot ? "bot" : "user"}`);
  node.dataset.messageId = String(view.message_id);
  if (view.edit_count > 0) node.dataset.edited = "true";
  node.appendChild(buildBubble(view));
  const keyboard = buildKeyboard(view);
  if (keyboard) {
    node.classList.add("has-keyboard");
    node.appendChild(keyboard);
  }
  return node;
}

function lastDayShown() {
  const views = [...state.messages.values()];
  return views.length ? formatDay(views[views.length - 1].date) : null;
}

function upsertMessage(view, { flash = true, scroll = true } = {}) {
  const box = $("#messages");
  const existing = box.querySelector(`.msg[data-message-id="${view.message_id}"]`);
  const node = buildMessage(view);
  if (existing) {
    existing.replaceWith(node);
    if (flash) {
      node.classList.add("flash");
      setTimeout(() => node.classList.remove("flash"), 1300);
    }
  } else {
    const empty = $("#empty-chat");
    if (empty) empty.remove();
    const day = formatDay(view.date);
    if (day !== lastDayShown()) box.appendChild(el("div", "day-separator", day));
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 160;
    box.appendChild(node);
    if (scroll && nearBottom) scrollToBottom();
    if (scroll && !view.from_bot) scrollToBottom();
    const img = node.querySelector("img.photo");
    if (img) img.addEventListener("load", () => { if (nearBottom) scrollToBottom(); });
  }
  state.messages.set(view.message_id, view);
}

function removeMessage(messageId) {
  const node = $(`#messages .msg[data-message-id="${messageId}"]`);
  if (node) node.remove();
  state.messages.delete(messageId);
}

function renderReplyKeyboard(markup) {
  const box = $("#reply-keyboard");
  box.innerHTML = "";
  const rows = (markup && markup.keyboard) || [];
  box.hidden = rows.length === 0;
  for (const row of rows) {
    const rowNode = el("div", "rk-row");
    for (const button of row) {
      const label = typeof button === "string" ? button : button.text;
      const node = el("button", "rk-button", label);
      node.type = "button";
      node.addEventListener("click", () => sendText(label));
      rowNode.appendChild(node);
    }
    box.appendChild(rowNode);
  }
}

// --- acting -----------------------------------------------------------------------------------

async function sendText(text) {
  if (state.current === null || !text.trim()) return;
  try {
    const data = await api("POST", `/chats/${state.current}/messages`, { text });
    upsertMessage(data.message, { flash: false });
  } catch (err) {
    showToast(`发送失败 ${err.message}`);
  }
}

async function submitComposer(event) {
  if (event) event.preventDefault();
  const input = $("#message-input");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  autoGrow();
  $("#commands-menu").hidden = true;
  await sendText(text);
}

async function sendFile(file) {
  if (state.current === null || !file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  const caption = $("#message-input").value.trim();
  if (caption) form.append("caption", caption);
  const isImage = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
  if (!isImage) form.append("filename", file.name);
  try {
    const data = await api("POST", `/chats/${state.current}/${isImage ? "photo" : "document"}`, form);
    $("#message-input").value = "";
    upsertMessage(data.message, { flash: false });
  } catch (err) {
    showToast(`发送失败 ${err.message}`);
  }
}

async function pressButton(messageId, data, node) {
  node.classList.add("pressed");
  try {
    await api("POST", `/chats/${state.current}/press`, { message_id: messageId, callback_data: data });
  } catch (err) {
    node.classList.remove("pressed");
    showToast(`按钮无效 ${err.message}`);
    return;
  }
  // Telegram shows a spinner until the bot answers; give up after a while like the app does.
  setTimeout(() => node.classList.remove("pressed"), 15000);
}

// --- command menu -----------------------------------------------------------------------------

async function toggleCommands() {
  const menu = $("#commands-menu");
  if (!menu.hidden) { menu.hidden = true; return; }
  if (state.current === null) return;
  const data = await api("GET", `/commands?user_id=${state.current}`);
  menu.innerHTML = "";
  if (!data.commands.length) {
    menu.appendChild(el("div", "command-empty", "机器人还没有设置命令 · No commands set"));
  }
  for (const cmd of data.commands) {
    const item = el("button", "command-item");
    item.type = "button";
    item.dataset.command = cmd.command;
    item.append(el("span", "command-name", `/${cmd.command}`), el("span", "command-desc", cmd.description));
    item.addEventListener("click", () => { menu.hidden = true; sendText(`/${cmd.command}`); });
    menu.appendChild(item);
  }
  menu.hidden = false;
  const first = menu.querySelector(".command-item");
  if (first) first.focus();
}

function showToast(text) {
  const toast = $("#toast");
  toast.textContent = text;
  toast.hidden = false;
  toast.classList.remove("fading");
  clearTimeout(state.toastTimer);
  state.toastTimer = setTimeout(() => {
    toast.classList.add("fading");
    state.toastTimer = setTimeout(() => { toast.hidden = true; }, 300);
  }, 2600);
}

function showAlert(text) {
  state.alertReturn = document.activeElement;
  $("#alert-text").textContent = text;
  $("#alert-backdrop").hidden = false;
  $("#alert-ok").focus();
}

function closeAlert() {
  $("#alert-backdrop").hidden = true;
  const back = state.alertReturn;
  state.alertReturn = null;
  if (back && document.contains(back)) back.focus();
}

function showTyping(action, seconds) {
  const label = action === "typing" ? "正在输入… typing"
    : action === "upload_photo" ? "正在发送图片… sending photo"
    : action === "upload_document" ? "正在发送文件… sending file"
    : `${action}…`;
  $("#status-text").textContent = label;
  $("#chat-status").classList.add("typing");
  $("#typing-indicator .typing-label").textContent = `督办 ${label}`;
  $("#typing-indicator").hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(hideTyping, (seconds || 5) * 1000);
}

function hideTyping() {
  clearTimeout(state.typingTimer);
  $("#status-text").textContent = "机器人 bot";
  $("#chat-status").classList.remove("typing");
  $("#typing-indicator").hidden = true;
}

// --- live events ------------------------------------------------------------------------------

function applyEvent(event) {
  const mine = event.chat_id !== null && event.chat_id === state.current;
  switch (event.type) {
    case "message":
      if (mine) {
        if (event.message.from_bot) hideTyping();
        upsertMessage(event.message, { flash: false });
      }
      refreshPersonasSoon();
      break;
    case "edit":
      if (mine) {
        upsertMessage(event.message, { flash: true });
        const pressed = $(`.msg[data-message-id="${event.message.message_id}"] .kb-button.pressed`);
        if (pressed) pressed.classList.remove("pressed");
      }
      refreshPersonasSoon();
      break;
    case "delete":
      if (mine) removeMessage(event.message_id);
      refreshPersonasSoon();
      break;
    case "callback_answer":
      if (mine) {
        document.querySelectorAll(".kb-button.pressed").forEach((n) => n.classList.remove("pressed"));
        const answer = event.answer;
        if (answer.text && answer.show_alert) showAlert(answer.text);
        else if (answer.text) showToast(answer.text);
      }
      break;
    case "chat_action":
      if (mine) showTyping(event.action, event.expires_in);
      break;
    case "persona":
      refreshPersonasSoon();
      break;
    case "reset":
      state.current = null;
      state.messages = new Map();
      window.location.hash = "";
      showNoChat();
      loadPersonas().catch(console.error);
      break;
    default:
      break;
  }
}

async function pollEvents(generation) {
  while (generation === state.pollGeneration) {
    try {
      const data = await api("GET", `/events?after=${state.lastSeq}&timeout=${POLL_SECONDS}`);
      if (data.epoch !== state.epoch || data.last_seq < state.lastSeq) {
        // The server restarted (its numbers start again): start over.
        state.epoch = data.epoch;
        state.lastSeq = data.last_seq;
        await loadPersonas();
        if (state.current !== null) await loadChat();
        document.dispatchEvent(new CustomEvent("chats-changed"));
        continue;
      }
      for (const event of data.events) {
        state.lastSeq = Math.max(state.lastSeq, event.seq);
        applyEvent(event);
      }
      if (data.events.length) document.dispatchEvent(new CustomEvent("chats-changed"));
    } catch (err) {
      console.warn("event poll failed", err);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
}

function autoGrow() {
  const input = $("#message-input");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

// --- boot -------------------------------------------------------------------------------------

async function boot() {
  state.noChat = $("#no-chat");
  $("#composer").addEventListener("submit", submitComposer);
  $("#message-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitComposer();
    }
  });
  $("#message-input").addEventListener("input", autoGrow);
  $("#file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    sendFile(file);
  });
  $("#menu-button").addEventListener("click", () => toggleCommands().catch(console.error));
  $("#new-persona").addEventListener("submit", createPersona);
  $("#alert-ok").addEventListener("click", closeAlert);
  $("#attach").addEventListener("click", () => $("#file-input").click());

  const info = await api("GET", "/info");
  state.bot = info.bot;
  state.lastSeq = info.last_seq;
  state.epoch = info.epoch;
  $("#chat-title").textContent = info.bot.first_name;
  $("#bot-info").textContent = `@${info.bot.username} · 本地 Telegram 模拟器`;
  try {
    ZONE = (await api("GET", "/clock")).zone || ZONE;
  } catch (err) {
    // No movable clock (a bare emulator): the default zone stays.
  }
  await loadPersonas();
  const match = /user=(\d+)/.exec(window.location.hash);
  if (match && state.personas.has(Number(match[1]))) await selectPersona(Number(match[1]));
  state.pollGeneration += 1;
  pollEvents(state.pollGeneration);
  document.body.dataset.ready = "true";
}

boot().catch((err) => {
  console.error(err);
  showToast(`加载失败 ${err.message}`);
});
