// The moderation page (/wall/<pin>/moderate#token=…), on a laptop or a phone: the wall's mode,
// pause and overlay switches; the queue (通过 / 拒绝); what is on screen (撤下, 禁言); the
// questions (置顶, 已回答, 隐藏). The host token also gets the moderator token, shown as a QR
// code for a second moderator, and the link to the full-screen wall.
// Text is always inserted with textContent.
import { call, config, connect, el, errorMessage, notice, show } from "./live-common.js";
import { clock, store, stored, tokenFromHash } from "./wall-common.js";

const { pin, events: E, joinUrl } = config();
const token = tokenFromHash(`arena-wall-token:${pin}`);
const nameKey = "arena-wall-moderator-name";
const $ = (id) => document.getElementById(id);
const socket = connect();
const SHOWN_KEEP = 50;
const MUTE_MINUTES = 10;

let view = { state: {}, pending: [], shown: [], questions: [], pinned: null };
const mutes = {}; // player → muted until (server ms), as this page set it

function name() {
  return stored("localStorage", nameKey);
}

// -- lists that hold still under the pointer -----------------------------------------------------
// Every change redraws a list (a new message, another moderator's decision, a vote), and a redraw
// can move its rows. A row must not move under a pointer about to click it: 通过 or 撤下 meant for
// one message would land on another. So while a mouse moves over a list, a redraw that would move
// a row waits: the rows whose item is gone are greyed in place (已处理) and the rest comes when the
// pointer leaves the list or rests for HOLD_MS. A redraw that moves nothing (a label, a row added
// at the end) is drawn at once. Touch screens have no pointer between taps.
const HOLD_MS = 1500;
const holds = {}; // list id → { items, timer }: the redraw that waits
const pointing = {}; // list id → a mouse is over it

function fill(list, items, now = false) {
  const hold = holds[list.id];
  const next = items.map((item) => item.dataset.id);
  const moves = [...list.children].some((row, index) => next[index] !== row.dataset.id);
  if (moves && pointing[list.id] && !now) {
    const kept = new Set(next);
    for (const row of list.children) {
      if (!kept.has(row.dataset.id) && !row.classList.contains("mod-gone")) gone(row);
    }
    // A later change joins the wait without lengthening it: only the pointer's moves do.
    if (hold) hold.items = items;
    else holds[list.id] = { items, timer: setTimeout(() => release(list.id), HOLD_MS) };
    return;
  }
  if (hold) clearTimeout(hold.timer);
  delete holds[list.id];
  list.replaceChildren(...items);
}

function release(id) {
  const hold = holds[id];
  if (hold) fill($(id), hold.items, true);
}

// Greyed, its buttons off and hidden, a label over them: its size, and so every row's place, unchanged.
function gone(row) {
  row.classList.add("mod-gone");
  row.dataset.testid = "gone-item";
  for (const node of row.querySelectorAll("button")) node.disabled = true;
  row.append(el("span", "mod-done", "已处理"));
}

for (const id of ["pending", "shown", "questions"]) {
  const list = $(id);
  list.addEventListener("pointerenter", (event) => {
    pointing[id] = event.pointerType === "mouse";
  });
  list.addEventListener("pointermove", () => {
    const hold = holds[id];
    if (!hold) return;
    clearTimeout(hold.timer);
    hold.timer = setTimeout(() => release(id), HOLD_MS);
  });
  list.addEventListener("pointerleave", () => {
    pointing[id] = false;
    release(id);
  });
}

// -- drawing ---------------------------------------------------------------------------------------

function button(label, className, testid, action) {
  const node = el("button", className, label);
  node.type = "button";
  node.dataset.testid = testid;
  node.addEventListener("click", async () => {
    node.disabled = true;
    await action();
    node.disabled = false;
  });
  return node;
}

function messageBody(message) {
  const body = el("div", "mod-body");
  const text = el("p", "mod-text", message.text);
  if (message.color) text.style.color = message.color; // CSSOM: allowed by the CSP
  body.append(text, el("p", "mod-meta", `${message.nickname || "匿名"} · #${message.id}`));
  return body;
}

function drawState(state) {
  if (!state) return;
  view.state = { ...view.state, ...state };
  $("mode").value = view.state.mode || "auto";
  $("paused").checked = Boolean(view.state.paused);
  $("overlay").checked = view.state.overlay !== false;
  $("title").textContent = view.state.title ? `· ${view.state.title}` : "";
}

function drawPending() {
  fill($("pending"), view.pending.map((message) => {
    const item = el("li", "mod-item");
    item.dataset.testid = "pending-item";
    item.dataset.id = message.id;
    const actions = el("div", "mod-actions");
    actions.append(
      button("通过", "primary", "approve", () => decide(E.approve, { message_id: message.id })),
      button("拒绝", "danger", "reject", () => decide(E.reject, { message_id: message.id })),
    );
    item.append(messageBody(message), actions);
    return item;
  }));
  $("pending-count").textContent = view.pending.length;
  $("pending-empty").hidden = view.pending.length > 0;
}

function drawShown() {
  const now = Date.now();
  fill($("shown"), view.shown.map((message) => {
    const item = el("li", "mod-item");
    item.dataset.testid = "shown-item";
    item.dataset.id = message.id;
    const actions = el("div", "mod-actions");
    actions.append(button("撤下", "danger", "remove", () => decide(E.remove, { message_id: message.id })));
    if (message.player) {
      const muted = (mutes[message.player] || 0) > now;
      actions.append(muted
        ? button(`已禁言至 ${clock(mutes[message.player])} · 解除`, "quiet", "unmute", () => mute(message, 0))
        : button(`禁言 ${MUTE_MINUTES} 分钟`, "quiet", "mute", () => mute(message, MUTE_MINUTES)));
    }
    item.append(messageBody(message), actions);
    return item;
  }));
  $("shown-empty").hidden = view.shown.length > 0;
}

function drawQuestions() {
  const pinnedId = view.pinned ? view.pinned.id : null;
  const visible = view.questions.filter((q) => q.state !== "hidden");
  // Open questions by votes, then the answered ones (the server sends most votes first).
  const ordered = [...visible.filter((q) => q.state === "open"), ...visible.filter((q) => q.state !== "open")];
  fill($("questions"), ordered.map((question) => {
    // Screens show a pinned question only while it is open (the server keeps it pinned once answered).
    const isPinned = question.id === pinnedId && question.state === "open";
    const item = el("li", `mod-item mod-question ${question.state}${isPinned ? " pinned" : ""}`);
    item.dataset.testid = "question-item";
    item.dataset.id = question.id;
    const votes = el("span", "mod-votes", `${question.votes} 赞`);
    votes.dataset.testid = "question-votes";
    const body = el("div", "mod-body");
    const tags = [question.nickname || "匿名"];
    if (isPinned) tags.push("大屏置顶中");
    if (question.state === "answered") tags.push("已回答");
    body.append(el("p", "mod-text", question.text), el("p", "mod-meta", tags.join(" · ")));
    const actions = el("div", "mod-actions");
    if (question.state === "open") {
      actions.append(isPinned
        ? button("取消置顶", "quiet", "qa-unpin", () => decide(E.qa_pin, { question_id: null }))
        : button("置顶", "primary", "qa-pin", () => decide(E.qa_pin, { question_id: question.id })));
      actions.append(button("已回答", "quiet", "qa-answered", () => decide(E.qa_answered, { question_id: question.id })));
    }
    actions.append(button("隐藏", "danger", "qa-hide", () => decide(E.qa_hide, { question_id: question.id })));
    item.append(votes, body, actions);
    return item;
  }));
  const open = visible.filter((q) => q.state === "open").length;
  $("qa-count").textContent = open;
  $("qa-empty").hidden = visible.length > 0;
  const hidden = view.questions.length - visible.length;
  $("qa-hidden").textContent = hidden ? `已隐藏 ${hidden} 条提问。` : "";
  $("qa-hidden").hidden = hidden === 0;
}

function drawView(next) {
  view = {
    state: next.state || view.state,
    pending: next.pending || [],
    shown: (next.shown || []).slice(0, SHOWN_KEEP),
    questions: next.questions || [],
    pinned: next.pinned || null,
  };
  drawState(view.state);
  drawPending();
  drawShown();
  drawQuestions();
}

function drawShare(moderatorToken) {
  $("share").hidden = !moderatorToken;
  if (!moderatorToken) return;
  const qr = new URL(`/wall/${pin}/moderator-qr.svg`, location.origin);
  qr.searchParams.set("token", moderatorToken);
  $("moderator-qr").src = qr.pathname + qr.search;
  // The address phones can reach (the server's public base), as the QR code has it.
  const base = joinUrl && joinUrl.endsWith(`/wall/${pin}`) ? joinUrl.slice(0, -`/wall/${pin}`.length) : location.origin;
  const link = `${base}/wall/${pin}/moderate#token=${encodeURIComponent(moderatorToken)}`;
  $("moderator-link").href = link;
  $("moderator-link").textContent = link;
  $("screen-link").href = `/wall/${pin}/screen#token=${encodeURIComponent(token)}`;
}

// -- commands --------------------------------------------------------------------------------------

async function decide(event, fields) {
  const reply = await call(socket, event, { pin, ...fields });
  if (!reply.ok) {
    notice(errorMessage(reply));
    return;
  }
  if (reply.moderator) drawView(reply.moderator);
}

async function mute(message, minutes) {
  const reply = await call(socket, E.mute, { pin, player_id: message.player, minutes });
  if (!reply.ok) {
    notice(errorMessage(reply));
    return;
  }
  mutes[message.player] = reply.until_ms || 0;
  notice(minutes
    ? `已禁言“${message.nickname || "匿名"}” ${minutes} 分钟（至 ${clock(reply.until_ms)}）。`
    : `已解除“${message.nickname || "匿名"}”的禁言。`);
  drawShown();
}

async function settings(change) {
  const reply = await call(socket, E.settings, { pin, ...change });
  if (!reply.ok) {
    notice(errorMessage(reply));
    drawState(view.state); // the controls go back to what the wall is
    return;
  }
  drawView(reply.moderator);
}

$("mode").addEventListener("change", () => settings({ mode: $("mode").value }));
$("paused").addEventListener("change", () => settings({ paused: $("paused").checked }));
$("overlay").addEventListener("change", () => settings({ overlay: $("overlay").checked }));

// -- joining ---------------------------------------------------------------------------------------

function showName() {
  $("rename").hidden = true;
  $("name-input").value = name();
  show("name");
  $("name-input").focus();
}

async function join() {
  if (!token) {
    show("loading");
    notice("缺少审核凭证，请扫描主持人提供的二维码，或从弹幕墙管理页打开。", true);
    return;
  }
  if (!name()) {
    showName();
    return;
  }
  const reply = await call(socket, E.moderator_join, { pin, token, name: name() });
  if (!reply.ok) {
    notice(errorMessage(reply), true);
    show("loading");
    return;
  }
  notice("");
  $("rename").textContent = `审核员：${name()}（更换）`;
  $("rename").hidden = false;
  drawView(reply.moderator);
  drawShare(reply.moderator_token);
  show("console");
}

$("name-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const typed = $("name-input").value.trim();
  if (!typed) {
    notice("请填写你的名字。");
    return;
  }
  store("localStorage", nameKey, typed);
  join();
});
$("rename").addEventListener("click", showName);

// Events of the moderators' room (wall:<pin>:moderators).
socket.on(E.queue, (data) => {
  view.pending = data.pending || [];
  drawPending();
});
socket.on(E.message, (message) => {
  if (view.shown.some((m) => m.id === message.id)) return;
  view.shown = [message, ...view.shown].slice(0, SHOWN_KEEP);
  drawShown();
});
socket.on(E.removed, (data) => {
  view.shown = view.shown.filter((m) => m.id !== data.id);
  drawShown();
});
socket.on(E.state, drawState);
socket.on(E.questions, (data) => {
  view.questions = data.questions || [];
  view.pinned = data.pinned || null;
  drawQuestions();
});

let offline = false;
socket.on("connect", () => {
  if (offline) notice("");
  offline = false;
  join(); // every (re)connect joins the moderators' room again
});
socket.on("disconnect", () => {
  offline = true;
  notice("与服务器的连接中断，正在重连……", true);
});
socket.on("connect_error", () => {
  offline = true;
  notice("无法连接服务器，正在重试……", true);
});
