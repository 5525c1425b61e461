// Shared by the host screen and the phone: configuration from the page, the socket, the
// server clock, screens and messages. Text is always inserted with textContent.
import { io } from "../vendor/socket.io/socket.io.esm.min.js";

export const LETTERS = "ABCDEF";
// Letter + shape + colour for each option: never colour alone.
export const MARKS = ["▲", "◆", "●", "■", "★", "⬟"];
export const TYPE_NAMES = { single: "单选题", multiple: "多选题", judge: "判断题", fill: "填空题", order: "排序题" };

export function config() {
  const app = document.getElementById("app");
  return { app, pin: app.dataset.pin || "", events: JSON.parse(app.dataset.events), joinUrl: app.dataset.joinUrl };
}

export function connect() {
  // Websocket first; long-polling is the fallback some company proxies and old in-app
  // browsers need (tryAllTransports: when the websocket cannot open, try polling).
  return io({ transports: ["websocket", "polling"], tryAllTransports: true, reconnectionDelayMax: 3000 });
}

/** Emit with an acknowledgement, as a promise; a timeout counts as "unavailable". */
export function call(socket, event, payload, timeoutMs = 8000) {
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, reply) => {
      if (err) resolve({ ok: false, error: { code: "unavailable", message: "网络不稳定，请稍后重试。" } });
      else resolve(reply);
    });
  });
}

// The server's clock: offset = server_ms - Date.now(), refreshed on every game:state.
let offset = 0;
export function syncClock(state) {
  if (typeof state.server_ms === "number") offset = state.server_ms - Date.now();
}
export function serverNow() {
  return Date.now() + offset;
}

let countdownTimer = null;
/** Show whole seconds left until the server's deadline in `element`. */
export function countdown(element, deadlineMs, onDone) {
  stopCountdown();
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadlineMs - serverNow()) / 1000));
    element.textContent = String(left);
    element.classList.toggle("urgent", left <= 5);
    if (left <= 0) {
      stopCountdown();
      if (onDone) onDone();
    }
  };
  tick();
  countdownTimer = setInterval(tick, 200);
}
export function stopCountdown() {
  if (countdownTimer) clearInterval(countdownTimer);
  countdownTimer = null;
}

export function show(id) {
  for (const section of document.querySelectorAll(".screen")) section.hidden = section.id !== id;
}

let noticeTimer = null;
export function notice(message, sticky = false) {
  const box = document.getElementById("notice");
  box.textContent = message;
  box.hidden = !message;
  if (noticeTimer) clearTimeout(noticeTimer);
  if (message && !sticky) noticeTimer = setTimeout(() => { box.hidden = true; }, 5000);
}
export function errorMessage(reply) {
  return (reply && reply.error && reply.error.message) || "出错了，请稍后重试。";
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** An option's label on screen: letter, shape and text. */
export function optionNode(tag, index, text) {
  const node = el(tag, `option c${index}`);
  node.append(el("span", "mark", MARKS[index]), el("span", "letter", LETTERS[index]), el("span", "text", text));
  return node;
}

export function answerText(question, correct) {
  if (question.type === "fill") return correct.map((alternatives) => alternatives.join(" / ")).join("；");
  if (question.type === "order") return correct.map((i) => LETTERS[i]).join(" → ");
  return correct.map((i) => `${LETTERS[i]}. ${question.options[i]}`).join("、");
}
