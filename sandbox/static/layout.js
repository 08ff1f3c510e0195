// Screen-size behaviour of the sandbox page: the persona drawer, the demo panel, Esc to close.
"use strict";

const NARROW = window.matchMedia("(max-width: 900px)");
const WIDE = window.matchMedia("(min-width: 1200px)");

function drawerOpen() {
  return document.body.classList.contains("drawer-open");
}

function openDrawer() {
  document.body.classList.add("drawer-open");
  $("#drawer-backdrop").hidden = false;
  $("#drawer-button").setAttribute("aria-expanded", "true");
  const target = $("#persona-list .persona.active") || $("#persona-list .persona") || $("#drawer-close");
  requestAnimationFrame(() => target.focus({ preventScroll: true }));
}

function closeDrawer({ restoreFocus = true } = {}) {
  if (!drawerOpen()) return;
  document.body.classList.remove("drawer-open");
  $("#drawer-backdrop").hidden = true;
  $("#drawer-button").setAttribute("aria-expanded", "false");
  if (restoreFocus && NARROW.matches) $("#drawer-button").focus();
}

// The demo panel is a column on wide screens and a sheet over the chat on smaller ones.
function demoPanelOverlays() {
  return !WIDE.matches;
}

function setDemoPanel(open, { focus = true } = {}) {
  $("#demo-panel").hidden = !open;
  $("#demo-button").setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("demo-open", open);
  try {
    localStorage.setItem("duban-demo-open", open ? "1" : "0");
  } catch (err) {
    // Storage may be disabled; the panel then simply starts closed.
  }
  if (open && focus) $("#demo-do").focus();
}

function onEscape(event) {
  if (event.key !== "Escape") return;
  if (!$("#alert-backdrop").hidden) {
    closeAlert();
  } else if (!$("#commands-menu").hidden) {
    $("#commands-menu").hidden = true;
    $("#menu-button").focus();
  } else if (drawerOpen()) {
    closeDrawer();
  } else if (!$("#demo-panel").hidden && demoPanelOverlays()) {
    setDemoPanel(false);
    $("#demo-button").focus();
  } else {
    return;
  }
  event.preventDefault();
}

// A phone's message box has room for a short hint only.
const PHONE = window.matchMedia("(max-width: 600px)");
const PLACEHOLDER = $("#message-input").placeholder;

function fitPlaceholder() {
  $("#message-input").placeholder = PHONE.matches ? "消息 Message" : PLACEHOLDER;
}

function initLayout() {
  fitPlaceholder();
  PHONE.addEventListener("change", fitPlaceholder);
  $("#drawer-button").addEventListener("click", () => (drawerOpen() ? closeDrawer() : openDrawer()));
  $("#drawer-close").addEventListener("click", () => closeDrawer());
  $("#drawer-backdrop").addEventListener("click", () => closeDrawer());
  $("#open-personas").addEventListener("click", () => {
    if (NARROW.matches) openDrawer();
    else ($("#persona-list .persona") || $("#new-user-id")).focus();
  });
  document.addEventListener("persona-selected", () => closeDrawer({ restoreFocus: false }));
  NARROW.addEventListener("change", () => closeDrawer({ restoreFocus: false }));
  $("#demo-button").addEventListener("click", () => setDemoPanel($("#demo-panel").hidden));
  $("#demo-close").addEventListener("click", () => {
    setDemoPanel(false);
    $("#demo-button").focus();
  });
  document.addEventListener("keydown", onEscape);
  let stored = null;
  try {
    stored = localStorage.getItem("duban-demo-open");
  } catch (err) {
    stored = null;
  }
  // First visit on a wide screen: show the guided demo next to the chat.
  if (stored === "1" || (stored === null && WIDE.matches)) setDemoPanel(true, { focus: false });
}

initLayout();
