// The guided demo panel and the sandbox clock: steps from demo-steps.js, done through the
// user-side API as a visitor would do them by hand.
"use strict";

const WAIT_FOR_BOT_MS = 15000;

const demo = {
  lang: /^zh/i.test(navigator.language || "") ? "zh" : "en",
  story: 0,
  step: 0,
  busy: false,
  clockTimer: null,
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function pickLang(texts) {
  return texts[demo.lang] !== undefined ? texts[demo.lang] : texts.zh;
}

function dt(key, params = {}) {
  return pickLang(DEMO_TEXTS[key]).replace(/\{(\w+)\}/g, (all, name) =>
    params[name] !== undefined ? String(params[name]) : all);
}

function saveDemo() {
  try {
    localStorage.setItem("duban-demo", JSON.stringify({ lang: demo.lang, story: demo.story, step: demo.step }));
  } catch (err) {
    // Without storage the demo starts at the beginning after a reload.
  }
}

function loadDemo() {
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem("duban-demo") || "null");
  } catch (err) {
    saved = null;
  }
  if (!saved) return;
  if (saved.lang === "zh" || saved.lang === "en") demo.lang = saved.lang;
  if (DEMO_STORIES[saved.story]) demo.story = saved.story;
  const steps = DEMO_STORIES[demo.story].steps;
  if (Number.isInteger(saved.step) && saved.step >= 0 && saved.step < steps.length) demo.step = saved.step;
}

// --- rendering --------------------------------------------------------------------------------

function personaLabel(userId) {
  const p = state.personas.get(userId);
  return p ? `${fullName(p)} (${userId})` : String(userId);
}

function renderDemo() {
  $("#demo-title").textContent = dt("title");
  document.querySelectorAll(".demo-lang button").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.lang === demo.lang));
  });
  const tabs = $("#demo-stories");
  tabs.innerHTML = "";
  DEMO_STORIES.forEach((story, index) => {
    const tab = el("button", "demo-story", pickLang(story.title));
    tab.type = "button";
    tab.dataset.story = story.id;
    tab.setAttribute("aria-pressed", String(index === demo.story));
    tab.addEventListener("click", () => { demo.story = index; demo.step = 0; setStatus("", ""); saveDemo(); renderDemo(); });
    tabs.appendChild(tab);
  });
  const steps = DEMO_STORIES[demo.story].steps;
  const step = steps[demo.step];
  const box = $("#demo-step");
  box.innerHTML = "";
  box.dataset.story = DEMO_STORIES[demo.story].id;
  box.dataset.step = String(demo.step);
  box.append(el("div", "demo-progress", dt("step", { n: demo.step + 1, total: steps.length })),
    el("h3", "demo-step-title", pickLang(step.title)));
  const list = el("dl", "demo-fields");
  const who = el("button", "demo-persona", personaLabel(step.persona));
  who.type = "button";
  who.dataset.userId = String(step.persona);
  who.addEventListener("click", () => choosePersona(step.persona).catch((err) => fail(err)));
  const todo = el("dd", "", pickLang(step.todo));
  if (step.show) todo.appendChild(el("code", "demo-show", pickLang(step.show)));
  const whoField = el("dd");
  whoField.appendChild(who);
  list.append(el("dt", "", dt("pick")), whoField, el("dt", "", dt("todo")), todo,
    el("dt", "", dt("look")), el("dd", "demo-look", pickLang(step.look)));
  box.appendChild(list);
  $("#demo-prev").textContent = dt("prev");
  $("#demo-next").textContent = dt("next");
  $("#demo-do").textContent = dt("doIt");
  $("#demo-restart").textContent = dt("restart");
  $("#demo-prev").disabled = demo.busy || demo.step === 0;
  $("#demo-next").disabled = demo.busy || demo.step === steps.length - 1;
  $("#demo-do").disabled = demo.busy;
  $("#demo-restart").disabled = demo.busy;
  renderClockLabels();
}

function setStatus(text, kind) {
  const status = $("#demo-status");
  status.textContent = text;
  status.dataset.state = kind;
}

function fail(err) {
  setStatus(dt("failed", { error: err.message }), "error");
}

// --- doing a step -----------------------------------------------------------------------------

async function readChat(userId) {
  return (await api("GET", `/chats/${userId}`)).messages;
}

// Changes whenever the bot sends, edits or deletes something in the chat.
function botSignature(messages) {
  return messages.filter((m) => m.from_bot).map((m) => `${m.message_id}.${m.edit_count}`).join(",");
}

async function waitForBot(userId, before) {
  const until = Date.now() + WAIT_FOR_BOT_MS;
  while (Date.now() < until) {
    if (botSignature(await readChat(userId)) !== before) return true;
    await sleep(250);
  }
  return false;
}

function labelPattern(label) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\{\w+\\\}/g, "\\d+");
  return new RegExp(`^${escaped}$`);
}

function findButton(messages, labels) {
  const patterns = labels.map(labelPattern);
  for (const view of [...messages].reverse()) {
    if (!view.from_bot) continue;
    const rows = (view.reply_markup && view.reply_markup.inline_keyboard) || [];
    for (const button of rows.flat()) {
      if (button.callback_data !== undefined && patterns.some((p) => p.test(button.text))) {
        return { messageId: view.message_id, data: button.callback_data };
      }
    }
  }
  return null;
}

async function choosePersona(userId) {
  if (!state.personas.has(userId)) await loadPersonas();
  if (!state.personas.has(userId)) throw new Error(dt("noPersona", { persona: userId }));
  if (state.current !== userId) await selectPersona(userId);
}

async function pressFor(userId, labels) {
  const until = Date.now() + WAIT_FOR_BOT_MS;
  let messages = await readChat(userId);
  let found = findButton(messages, labels);
  // The button may still be on its way (the outbox delivers it a moment after the change).
  while (!found && Date.now() < until) {
    await sleep(300);
    messages = await readChat(userId);
    found = findButton(messages, labels);
  }
  if (!found) {
    throw new Error(dt("noButton", { persona: personaLabel(userId), label: labels[0].replace("{count}", "N") }));
  }
  const before = botSignature(messages);
  const node = $(`.msg[data-message-id="${found.messageId}"] .kb-button[data-callback-data="${CSS.escape(found.data)}"]`);
  if (node) node.classList.add("pressed");
  await api("POST", `/chats/${userId}/press`, { message_id: found.messageId, callback_data: found.data });
  await waitForBot(userId, before);
}

async function sendFor(userId, text) {
  const before = botSignature(await readChat(userId));
  const data = await api("POST", `/chats/${userId}/messages`, { text });
  if (state.current === userId) upsertMessage(data.message, { flash: false });
  await waitForBot(userId, before);
}

async function runAction(action) {
  if (action.clock) {
    if ($("#clock").hidden) throw new Error(dt("noClock"));
    await advanceClock(action.clock);
  }
  if (action.persona) await choosePersona(action.persona);
  if (action.send) await sendFor(action.persona, pickLang(action.send));
  if (action.press) await pressFor(action.persona, action.press);
}

async function doStep() {
  if (demo.busy) return;
  const storyIndex = demo.story;
  const stepIndex = demo.step;
  const step = DEMO_STORIES[storyIndex].steps[stepIndex];
  demo.busy = true;
  renderDemo();
  setStatus(dt("working"), "working");
  try {
    for (const action of step.actions) await runAction(action);
    const last = stepIndex === DEMO_STORIES[storyIndex].steps.length - 1;
    setStatus(last ? `${dt("done")} ${dt("finished")}` : dt("done"), "done");
  } catch (err) {
    fail(err);
  } finally {
    demo.busy = false;
    renderDemo();
    const next = $("#demo-next");
    (next.disabled ? $("#demo-do") : next).focus();
  }
}

function moveStep(delta) {
  const steps = DEMO_STORIES[demo.story].steps;
  demo.step = Math.min(Math.max(demo.step + delta, 0), steps.length - 1);
  setStatus("", "");
  saveDemo();
  renderDemo();
}

async function restartDemo() {
  if (demo.busy) return;
  demo.busy = true;
  renderDemo();
  setStatus(dt("working"), "working");
  try {
    await jsonCall("POST", "/reset");
    demo.step = 0;
    saveDemo();
    await loadPersonas();
    await loadClock();
    setStatus(dt("restarted"), "done");
  } catch (err) {
    fail(err);
  } finally {
    demo.busy = false;
    renderDemo();
  }
}

// --- the clock --------------------------------------------------------------------------------

// The clock endpoints answer plain JSON; an "ok": false body or an HTTP error is a failure.
async function jsonCall(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok || (data && data.ok === false)) {
    const error = new Error((data && (data.error || data.description)) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data || {};
}

function formatInstant(iso) {
  return new Date(iso).toLocaleString(demo.lang === "zh" ? "zh-CN" : "en-GB", {
    timeZone: ZONE, month: "short", day: "numeric", weekday: "short",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
}

function formatSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const parts = [];
  if (days) parts.push(`${days}d`);
  if (hours) parts.push(`${hours}h`);
  if (minutes || !parts.length) parts.push(`${minutes}m`);
  return parts.join(" ");
}

const CLOCK_TEXTS = {
  next: { zh: "下一截止：{when}", en: "Next deadline: {when}" },
  none: { zh: "没有未到的截止时间", en: "No open deadline" },
  ahead: { zh: "比真实时间快 {by}", en: "{by} ahead of real time" },
  moved: { zh: "时钟前进了 {by}", en: "The clock moved {by}" },
};

function ct(key, params = {}) {
  return pickLang(CLOCK_TEXTS[key]).replace(/\{(\w+)\}/g, (all, name) => params[name] ?? all);
}

function renderClock(data) {
  if (data.zone) ZONE = data.zone; // app.js's: the bot's zone for every time on the page
  const clock = $("#clock");
  clock.hidden = false;
  clock.dataset.now = data.now;
  clock.dataset.nextDeadline = data.next_deadline || "";
  clock.dataset.offset = String(data.offset_seconds || 0);
  const now = $("#clock-now");
  // "local" is ISO 8601 in the office's zone: the page shows the same instant readably.
  now.textContent = formatInstant(data.now);
  now.title = data.local || data.now;
  now.dateTime = data.now;
  renderClockLabels();
  $('.clock-button[data-by="next"]').disabled = !data.next_deadline;
}

function renderClockLabels() {
  const clock = $("#clock");
  if (clock.hidden || !clock.dataset.now) return;
  const next = clock.dataset.nextDeadline;
  const parts = [next ? ct("next", { when: formatInstant(next) }) : ct("none")];
  const offset = Number(clock.dataset.offset || 0);
  if (offset > 0) parts.push(ct("ahead", { by: formatSeconds(offset) }));
  $("#clock-next").textContent = parts.join(" · ");
}

async function loadClock() {
  try {
    renderClock(await jsonCall("GET", "/clock"));
  } catch (err) {
    // Outside the sandbox's movable clock (404) there is nothing to show.
    if (err.status === 404) $("#clock").hidden = true;
    else console.warn("clock", err);
  }
}

async function advanceClock(by) {
  const buttons = document.querySelectorAll(".clock-button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const moved = await jsonCall("POST", "/clock/advance", { by });
    showToast(ct("moved", { by: formatSeconds(moved.moved_seconds || 0) }));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    await loadClock();
  }
}

// --- boot -------------------------------------------------------------------------------------

function initDemo() {
  loadDemo();
  document.querySelectorAll(".demo-lang button").forEach((b) => {
    b.addEventListener("click", () => { demo.lang = b.dataset.lang; saveDemo(); renderDemo(); });
  });
  $("#demo-do").addEventListener("click", doStep);
  $("#demo-prev").addEventListener("click", () => moveStep(-1));
  $("#demo-next").addEventListener("click", () => moveStep(1));
  $("#demo-restart").addEventListener("click", restartDemo);
  document.querySelectorAll(".clock-button").forEach((b) => {
    b.addEventListener("click", () => advanceClock(b.dataset.by).catch((err) => showToast(err.message)));
  });
  // Only the names change when personas reload; rebuilding the panel would steal the focus.
  document.addEventListener("personas-loaded", () => {
    document.querySelectorAll(".demo-persona").forEach((node) => {
      node.textContent = personaLabel(Number(node.dataset.userId));
    });
  });
  // A dispatch, a sign-for or a completion changes the next deadline: ask again once the
  // bot's messages have arrived, not only every 30 s.
  let clockRefresh = null;
  document.addEventListener("chats-changed", () => {
    clearTimeout(clockRefresh);
    clockRefresh = setTimeout(loadClock, 300);
  });
  renderDemo();
  loadClock();
  demo.clockTimer = setInterval(loadClock, 30000);
}

initDemo();
