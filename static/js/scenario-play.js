// The phone of a scenario run: join, then everything this seat may see (the `view`): the
// role card, the act, private scripts, the group's clues, search, checkpoints, the vote and
// the reveal. The seat survives reloads through the signed rejoin token in localStorage.
// A prop card's QR code opens this page with a scan code, sent once the phone is seated.
import {
  LETTERS, MARKS, TYPE_NAMES, call, clear, config, connect, el, errorMessage, notice, show,
} from "./live-common.js";
import { ACT_TYPES, ActTimer, HOWS, actNumber, roughClock } from "./scenario-common.js";
import { mountGameSender } from "./wall-send.js";

const { app, pin: pagePin, events: E } = config();
const scanCode = app.dataset.scanCode || "";
const $ = (id) => document.getElementById(id);
const REPLACED_TEXT = "你的角色已由主持人交给另一台手机。";

// localStorage can throw (private mode, some in-app browsers): the seat then lasts this page.
const memory = {};
const store = {
  get(key) {
    try { return localStorage.getItem(key) ?? memory[key] ?? ""; } catch (_e) { return memory[key] ?? ""; }
  },
  set(key, value) {
    memory[key] = value;
    try { localStorage.setItem(key, value); } catch (_e) { /* kept in memory */ }
  },
  forget(key) {
    delete memory[key];
    try { localStorage.removeItem(key); } catch (_e) { /* nothing kept */ }
  },
};
const seatKey = (pin) => `arena-scenario:${pin}`;
const CURRENT = "arena-scenario-current";
const optionsKey = (pin) => `arena-scenario-options:${pin}`;

// A scanned card is sent in the run this phone plays in (a card of another run is refused
// by the server as such); a plain page joins its own run.
let pin = pagePin;
if (scanCode) {
  const current = store.get(CURRENT);
  if (current && store.get(seatKey(current))) pin = current;
}
let scanPending = Boolean(scanCode);
let seated = false;
let gone = false;
let view = null;
let seenNotes = -1;
let seenClues = null; // clue id → when this page first saw it (0: already there on arrival)
const NEW_FOR_MS = 60_000;
let drawnAct = null; // the act the action panels were drawn for
let checkpointSignature = "";
let searching = false;
let retryTimer = null;
const socket = connect();
const timer = new ActTimer($("timer"));

// -- joining -------------------------------------------------------------------------------------

function sit(reply) {
  seated = true;
  store.set(seatKey(pin), reply.rejoin_token);
  store.set(CURRENT, pin);
  render(reply.view);
  openWall();
}

// The danmaku box of this run's wall (collapsed), once the phone has a seat.
let sender = null;
function openWall() {
  if (sender && sender.pin === pin) return;
  if (sender) sender.box.destroy();
  sender = { pin, box: mountGameSender(app, socket, pin) };
}

/** Send the scanned card once this phone holds a role in a running game (the server
 * refuses a scan in the lobby or without a role); until then say it will be sent. */
function maybeScan(v) {
  if (!scanPending) return;
  if (v.phase === "lobby" || (v.phase === "playing" && !v.role)) {
    scanBox("你扫描了一张道具卡：开始游戏、分到角色后将自动为本组解锁。", "");
    return;
  }
  scanPending = false;
  scan();
}

function scanBox(text, state) {
  const box = $("scan-box");
  box.classList.toggle("ok", state === "ok");
  box.classList.toggle("refused", state === "refused");
  $("scan-result").textContent = text;
  box.hidden = false;
}

async function rejoin() {
  const token = store.get(seatKey(pin));
  if (!token) {
    if (pin !== pagePin) { // the run remembered for a scan is not on this phone any more
      pin = pagePin;
      rejoin();
      return;
    }
    show("join");
    return;
  }
  const reply = await call(socket, E.join, { pin, rejoin_token: token });
  if (reply.ok) {
    notice("");
    sit(reply);
    return;
  }
  const code = reply.error && reply.error.code;
  if (code === "replaced") {
    replaced(reply.error.message);
    return;
  }
  if (code === "unavailable" || code === "rate_limited") {
    notice(errorMessage(reply), true);
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (socket.connected && !gone) rejoin();
    }, Math.max(1000, (reply.error && reply.error.retry_ms) || 3000));
    return;
  }
  store.forget(seatKey(pin)); // the run is over or gone, or the token is not for it
  if (store.get(CURRENT) === pin) store.forget(CURRENT);
  seated = false;
  if (pin !== pagePin) {
    pin = pagePin;
    rejoin();
    return;
  }
  notice(errorMessage(reply));
  show("join");
}

function replaced(message) {
  gone = true;
  timer.stop();
  $("gone-text").textContent = message || REPLACED_TEXT;
  $("me").textContent = "";
  $("notes").hidden = true;
  show("gone");
}

async function scan() {
  const reply = await call(socket, E.scan, { pin, code: scanCode });
  scanBox(reply.ok ? `已为本组解锁线索：${reply.title}` : errorMessage(reply), reply.ok ? "ok" : "refused");
  // A reload of this page should not scan the card again.
  history.replaceState(null, "", `/scenario/${pin}/play`);
}

// -- drawing ---------------------------------------------------------------------------------------

function memberList(list, members) {
  clear(list);
  for (const member of members) {
    const item = el("li", "member");
    item.dataset.testid = "member";
    item.append(el("strong", "member-name", member.nickname));
    if (member.role) item.append(el("span", "member-role", member.role));
    if (member.intro) item.append(el("span", "member-intro", member.intro));
    list.append(item);
  }
  if (!members.length) list.append(el("li", "muted", "暂无其他成员"));
}

function drawNotes(notes) {
  const box = $("notes");
  const list = $("note-list");
  clear(list);
  [...notes].reverse().forEach((text) => {
    const item = el("li", "", text);
    item.dataset.testid = "note";
    list.append(item);
  });
  box.hidden = notes.length === 0;
  if (seenNotes >= 0 && notes.length > seenNotes) {
    notice("收到主持人私信，请查看页面顶部。");
    if (navigator.vibrate) navigator.vibrate(200);
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  }
  seenNotes = notes.length;
}

function header(v) {
  const parts = [v.me.nickname];
  if (v.me.group) parts.push(v.me.group);
  if (v.role) parts.push(v.role.name);
  $("me").textContent = parts.join(" · ");
}

function drawAct(v) {
  const act = v.act;
  $("act-number").textContent = v.phase === "ended" ? "已结束" : actNumber(act, v.total_acts);
  $("act-type").textContent = act ? ACT_TYPES[act.type] || act.type : "";
  $("act-title").textContent = act ? act.title : "本场已结束";
  $("act-screen").textContent = act ? act.screen : "";
  timer.update(act, v.timer, v.phase === "playing");
}

function drawRole(role) {
  $("role-name").textContent = role.name;
  $("role-intro").textContent = role.intro;
  $("role-background").textContent = role.background;
  $("role-objective").textContent = role.objective;
}

function drawScripts(scripts) {
  const list = $("scripts");
  clear(list);
  scripts.forEach((script, index) => {
    const item = el("li", index === scripts.length - 1 ? "script latest" : "script");
    item.dataset.testid = "script";
    item.append(el("h3", "", script.act), el("p", "", script.text));
    list.append(item);
  });
  $("scripts-box").hidden = scripts.length === 0;
}

function clueImage(path) {
  // An absolute address is used as is; a path of the scenario file is looked for under
  // /static/scenario/ (the server has no route of its own for clue images yet).
  const src = /^(https?:)?\/|^data:/.test(path) ? path : `/static/scenario/${path.replace(/^\.?\//, "")}`;
  const image = el("img", "clue-image");
  image.alt = "线索配图";
  image.loading = "lazy";
  image.src = src;
  image.addEventListener("error", () => {
    image.replaceWith(el("p", "muted small", `（配图 ${path} 暂时无法显示，请向主持人索取实物）`));
  });
  return image;
}

function drawClues(clues) {
  const list = $("clues");
  clear(list);
  const now = Date.now();
  const first = !seenClues;
  if (first) seenClues = new Map();
  for (const clue of clues) if (!seenClues.has(clue.id)) seenClues.set(clue.id, first ? 0 : now);
  // Newly found clues first (the latest on top), marked 新 for a minute; the rest in file order.
  const fresh = clues.filter((clue) => now - seenClues.get(clue.id) < NEW_FOR_MS)
    .sort((a, b) => seenClues.get(b.id) - seenClues.get(a.id)).map((clue) => clue.id);
  const ordered = [...fresh.map((id) => clues.find((clue) => clue.id === id)),
    ...clues.filter((clue) => !fresh.includes(clue.id))];
  for (const clue of ordered) {
    const item = el("li", `clue${fresh.includes(clue.id) ? " new" : ""}`);
    item.dataset.testid = "clue";
    item.dataset.clue = clue.id;
    const head = el("div", "clue-head");
    const title = el("strong", "clue-title", clue.title);
    title.dataset.testid = "clue-title";
    head.append(title, el("span", "tag", HOWS[clue.how] || clue.how));
    if (clue.mine) head.append(el("span", "tag mine", "我找到的"));
    if (fresh.includes(clue.id)) head.append(el("span", "tag fresh", "新"));
    item.append(head, el("p", "clue-text", clue.text));
    if (clue.image) item.append(clueImage(clue.image));
    if (clue.shareable) {
      const share = el("button", "share", "分享给小组");
      share.type = "button";
      share.dataset.testid = "share";
      share.addEventListener("click", async () => {
        share.disabled = true;
        const reply = await call(socket, E.share, { pin, clue: clue.id });
        if (reply.ok) notice(`已把“${clue.title}”分享给小组。`);
        else {
          share.disabled = false;
          notice(errorMessage(reply));
        }
      });
      item.append(share);
    }
    list.append(item);
  }
  if (!clues.length) list.append(el("li", "muted", "还没有线索。"));
  $("clue-count").textContent = clues.length;
}

function drawSearch(search) {
  const box = $("search");
  box.hidden = !search;
  if (!search) return;
  $("ap").textContent = search.action_points;
  const places = $("places");
  clear(places);
  for (const place of search.places) {
    const button = el("button", "place", place.name);
    button.type = "button";
    button.dataset.testid = "place";
    button.dataset.place = place.id;
    if (place.barred) {
      button.append(el("span", "place-note", "你的角色不能搜查"));
      button.classList.add("barred");
    }
    button.disabled = place.barred || search.action_points <= 0 || searching;
    button.addEventListener("click", () => searchPlace(place));
    places.append(button);
  }
}

async function searchPlace(place) {
  if (searching) return;
  searching = true;
  for (const button of document.querySelectorAll("#places button")) button.disabled = true;
  const reply = await call(socket, E.search, { pin, place: place.id });
  searching = false;
  const line = $("search-result");
  line.hidden = false;
  line.classList.toggle("ok", Boolean(reply.ok));
  line.classList.toggle("refused", !reply.ok);
  line.textContent = reply.ok ? `在${place.name}找到线索：${reply.title}` : errorMessage(reply);
  if (view && view.search) drawSearch(view.search); // the view with the new points may be here already
}

// -- checkpoints -----------------------------------------------------------------------------------

function choiceButton(index, text) {
  const button = el("button", `choice c${index % 6}`);
  button.type = "button";
  button.dataset.index = String(index);
  button.dataset.testid = "choice";
  button.append(el("span", "mark", MARKS[index % 6]), el("span", "letter", LETTERS[index] || String(index + 1)),
    el("span", "text", text));
  return button;
}

function checkpointItem(item) {
  const question = item.question;
  const node = el("li", "checkpoint");
  node.dataset.testid = "checkpoint";
  node.dataset.checkpoint = item.id;
  node.append(el("p", "checkpoint-type tag", TYPE_NAMES[question.type] || question.type));
  node.append(el("p", "stem", question.stem));
  if (item.answered) {
    const verdict = el("p", `verdict-line ${item.correct ? "ok" : "refused"}`, item.correct ? "回答正确 ✓" : "回答错误 ✗");
    verdict.dataset.testid = "checkpoint-result";
    node.append(verdict);
    if (item.explanation) {
      const why = el("p", "explanation-line", `解析：${item.explanation}`);
      why.dataset.testid = "checkpoint-explanation";
      node.append(why);
    }
    return node;
  }
  const submit = async (choice, controls) => {
    for (const control of controls) control.disabled = true;
    const reply = await call(socket, E.answer, { pin, checkpoint: item.id, choice });
    if (!reply.ok) {
      for (const control of controls) control.disabled = false;
      notice(errorMessage(reply));
      return;
    }
    notice(reply.correct ? "回答正确！" : "回答错误。");
  };
  const options = question.type === "judge" && !(question.options || []).length ? ["对", "错"] : question.options || [];
  const choices = el("div", `choices ${question.type}`);
  const buttons = options.map((text, index) => choices.appendChild(choiceButton(index, text)));
  node.append(choices);
  if (question.type === "single" || question.type === "judge") {
    buttons.forEach((button, index) => button.addEventListener("click", () => submit([index], buttons)));
  } else if (question.type === "multiple" || question.type === "order") {
    const picked = [];
    const hint = el("p", "muted small", question.type === "multiple"
      ? "多选题：选好全部答案后点“提交”。" : "排序题：按正确顺序依次点选，点错了可以重选。");
    const send = el("button", "primary submit", "提交");
    send.type = "button";
    send.dataset.testid = "checkpoint-submit";
    const reset = el("button", "link", "重选");
    reset.type = "button";
    buttons.forEach((button, index) => button.addEventListener("click", () => {
      if (question.type === "multiple") {
        const on = button.classList.toggle("picked");
        button.setAttribute("aria-pressed", on ? "true" : "false");
        if (on) picked.push(index);
        else picked.splice(picked.indexOf(index), 1);
      } else if (!picked.includes(index)) {
        picked.push(index);
        button.classList.add("picked");
        button.dataset.step = String(picked.length);
      }
    }));
    reset.addEventListener("click", () => {
      picked.length = 0;
      buttons.forEach((b) => { b.classList.remove("picked"); b.dataset.step = ""; b.setAttribute("aria-pressed", "false"); });
    });
    send.addEventListener("click", () => {
      if (!picked.length) notice("请至少选择一项。");
      else if (question.type === "order" && picked.length !== buttons.length) notice("请把所有选项都排好顺序。");
      else submit(question.type === "multiple" ? [...picked].sort((a, b) => a - b) : [...picked], [...buttons, send, reset]);
    });
    node.append(hint, send);
    if (question.type === "order") node.append(reset);
  } else if (question.type === "fill") {
    const form = el("form", "fill-form");
    const inputs = [];
    const blanks = question.blanks || 1;
    for (let i = 0; i < blanks; i += 1) {
      const input = el("input", "fill");
      input.maxLength = 100;
      input.autocomplete = "off";
      input.placeholder = blanks > 1 ? `第 ${i + 1} 空` : "请输入答案";
      input.dataset.testid = "fill";
      inputs.push(input);
      form.append(input);
    }
    const send = el("button", "primary submit", "提交");
    send.type = "submit";
    form.append(send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = inputs.map((input) => input.value.trim());
      if (values.some((value) => !value)) notice("请填写每一个空。");
      else submit(blanks === 1 ? values[0] : values, [...inputs, send]);
    });
    node.append(form);
  }
  return node;
}

function drawCheckpoints(items) {
  const box = $("checkpoints");
  box.hidden = !items;
  if (!items) {
    checkpointSignature = "";
    return;
  }
  // Redrawn only when something about them changed: a half-made choice survives the views
  // the group's other phones cause.
  const signature = JSON.stringify(items.map((item) => [item.id, Boolean(item.answered)]));
  if (signature === checkpointSignature) return;
  checkpointSignature = signature;
  const list = $("checkpoint-list");
  clear(list);
  for (const item of items) list.append(checkpointItem(item));
}

// -- the vote and the reveal ----------------------------------------------------------------------

function drawVote(vote) {
  const box = $("vote");
  box.hidden = !vote;
  if (!vote) return;
  store.set(optionsKey(pin), JSON.stringify(vote.options)); // the reveal names the choices by id only
  $("vote-prompt").textContent = vote.prompt;
  const mine = vote.options.find((option) => option.id === vote.mine);
  $("vote-state").textContent = mine ? `你已投给“${mine.text}”，揭晓前可以改投。` : "请选择一项投票，揭晓前可以改投。";
  const list = $("vote-options");
  clear(list);
  vote.options.forEach((option) => {
    const chosen = option.id === vote.mine;
    const button = el("button", `vote-option${chosen ? " picked" : ""}`);
    button.type = "button";
    button.dataset.testid = "vote-option";
    button.dataset.option = option.id;
    button.setAttribute("aria-pressed", chosen ? "true" : "false");
    button.append(el("span", "text", option.text));
    if (chosen) button.append(el("span", "mine-mark", "✓ 我的选择"));
    button.addEventListener("click", async () => {
      if (option.id === (view.vote && view.vote.mine)) return;
      for (const other of list.querySelectorAll("button")) other.disabled = true;
      const reply = await call(socket, E.vote, { pin, option: option.id });
      for (const other of list.querySelectorAll("button")) other.disabled = false;
      if (!reply.ok) notice(errorMessage(reply));
    });
    list.append(button);
  });
}

function optionTexts(reveal) {
  const texts = {};
  try {
    for (const option of JSON.parse(store.get(optionsKey(pin)) || "[]")) texts[option.id] = option.text;
  } catch (_e) { /* none remembered */ }
  texts[reveal.answer] = reveal.answer_text;
  return texts;
}

function drawReveal(reveal, ended) {
  const box = $("reveal");
  box.hidden = !reveal;
  if (!reveal) return;
  const texts = optionTexts(reveal);
  $("reveal-answer").textContent = reveal.answer_text;
  const decision = reveal.decision || { tally: {}, choice: null, correct: false };
  const line = $("reveal-decision");
  if (decision.choice) {
    line.textContent = `本组选择：${texts[decision.choice] || "（另一选项）"} · ${decision.correct ? "正确 ✓" : "错误 ✗"}`;
  } else line.textContent = "本组平票或未投票，没有形成结论。";
  line.className = `decision-line ${decision.choice ? (decision.correct ? "ok" : "refused") : ""}`;
  const tally = $("reveal-tally");
  clear(tally);
  for (const [id, count] of Object.entries(decision.tally).sort((a, b) => b[1] - a[1])) {
    const item = el("li", id === reveal.answer ? "is-answer" : "");
    item.append(el("span", "tally-option", texts[id] || "（另一选项）"), el("span", "tally-count", `${count} 票`));
    tally.append(item);
  }
  $("ending").textContent = reveal.ending || "";
  $("ending-box").hidden = !reveal.ending;
  $("reveal-text").textContent = reveal.text;
  $("history").textContent = reveal.history || "";
  $("history-box").hidden = !reveal.history;
  $("lesson").textContent = reveal.lesson || "";
  $("lesson-box").hidden = !reveal.lesson;
  const sources = $("sources");
  clear(sources);
  for (const source of reveal.sources || []) sources.append(el("li", "", source));
  $("fiction").textContent = reveal.fiction ? `说明：${reveal.fiction}` : "";
  $("ended-line").hidden = !ended;
}

function render(v) {
  if (gone) return;
  if (v.phase === "replaced") {
    replaced();
    return;
  }
  view = v;
  header(v);
  drawNotes(v.notes || []);
  maybeScan(v);
  if (v.phase === "lobby" || !v.role) {
    timer.stop();
    const started = v.phase !== "lobby";
    $("wait-title").textContent = !started ? "已加入，等待主持人开始"
      : v.phase === "ended" ? "本场剧本杀已结束" : "等待主持人安排角色";
    $("wait-text").textContent = !started ? `《${v.title}》共 ${v.total_acts} 幕，开始后会在这里收到你的角色。`
      : v.phase === "ended" ? "感谢参与！" : "本场已经开始，主持人会为你安排一个角色。";
    $("wait-group").hidden = !v.me.group;
    $("wait-group-name").textContent = v.me.group ? `${v.me.group}的成员` : "";
    memberList($("wait-members"), v.group || []);
    show("wait");
    return;
  }
  const actKey = v.act ? v.act.index : -1;
  if (drawnAct !== actKey) {
    drawnAct = actKey;
    $("search-result").hidden = true;
  }
  drawAct(v);
  drawSearch(v.search);
  drawCheckpoints(v.checkpoints);
  drawVote(v.vote);
  drawReveal(v.reveal, v.phase === "ended");
  drawRole(v.role);
  drawScripts(v.scripts || []);
  drawClues(v.clues || []);
  memberList($("members"), v.group || []);
  show("game");
}

// -- events ------------------------------------------------------------------------------------------

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const nickname = $("join-nickname").value.trim();
  if (!nickname) {
    notice("请填写昵称。");
    return;
  }
  pin = pagePin;
  $("join-button").disabled = true;
  const reply = await call(socket, E.join, { pin, nickname, member_no: $("join-member-no").value.trim() });
  $("join-button").disabled = false;
  if (!reply.ok) {
    notice(errorMessage(reply));
    return;
  }
  notice("");
  sit(reply);
});
$("scan-close").addEventListener("click", () => { $("scan-box").hidden = true; });

// Every (re)connect: back to the seat if this phone has one.
let offline = false;
socket.on("connect", () => {
  if (offline) notice("");
  offline = false;
  if (gone) return;
  if (seated || store.get(seatKey(pin)) || (pin !== pagePin)) rejoin();
  else show("join");
});
socket.on("disconnect", () => {
  offline = true;
  notice("网络中断，正在重连……", true);
});
socket.on("connect_error", () => {
  offline = true;
  notice("无法连接服务器，正在重试……", true);
});
// This seat's view after every change it may see (room scenario:<pin>:player:<id>).
socket.on(E.view, render);
// The host gave this seat to another phone (room scenario:<pin>:player:<id>).
socket.on(E.replaced, (data) => replaced(data && data.message));
roughClock();
