// The phone: join, answer, see the result. The seat survives reloads, sleep and Wi-Fi
// drops through the signed rejoin token kept in localStorage and sent on every connect.
import {
  LETTERS, MARKS, TYPE_NAMES, answerText, call, clear, config, connect, countdown, el, errorMessage, notice,
  serverNow, show, stopCountdown, syncClock,
} from "./live-common.js";
import { mountGameSender } from "./wall-send.js";

const { app, pin: pagePin, events: E } = config();
const $ = (id) => document.getElementById(id);

// localStorage can throw (private mode, some in-app browsers): the seat then lasts this page.
const memory = {};
const seats = {
  key: (pin) => `arena-seat:${pin}`,
  get(pin) {
    try { return localStorage.getItem(this.key(pin)) || memory[pin] || ""; } catch (_e) { return memory[pin] || ""; }
  },
  set(pin, token) {
    memory[pin] = token;
    try { localStorage.setItem(this.key(pin), token); } catch (_e) { /* kept in memory */ }
  },
  forget(pin) {
    delete memory[pin];
    try { localStorage.removeItem(this.key(pin)); } catch (_e) { /* nothing kept */ }
  },
};

let pin = pagePin;
let me = null; // {player_id, nickname, team}
let out = false; // kicked: nothing the room sends changes this screen any more
let current = null; // the open question's game:state
let answeredQ = -1;
let resultQ = -1; // the result can arrive before the answer's own acknowledgement
let reveal = null; // the last game:reveal, to show the right answer with the result
let last = { score: 0, rank: null };
let readTimer = null;
const socket = connect();

function normalisePin(text) {
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");
}

async function loadTeams() {
  const value = normalisePin($("join-pin").value);
  const select = $("join-team");
  clear(select);
  $("join-team-label").hidden = true; // until this game's teams are known
  $("join-title").textContent = "";
  if (value.length !== 6) return;
  try {
    const response = await fetch(`/play/${value}/teams`, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (body.redirect) { // the PIN of a scenario run or a danmaku wall
      location.assign(body.redirect);
      return;
    }
    if (!body.ok) {
      notice(errorMessage(body));
      return;
    }
    notice("");
    $("join-title").textContent = body.title || "";
    if (body.teams.length > 1) select.append(new Option("请选择队伍", ""));
    for (const team of body.teams) select.append(new Option(team, team));
    $("join-team-label").hidden = body.teams.length === 0;
  } catch (_error) {
    notice("网络不稳定，请稍后重试。");
  }
}

function header(score) {
  if (me) $("me").textContent = `${me.nickname} · ${me.team} · ${score} 分`;
}

// The danmaku box of this game's wall, below the answer area (collapsed), once seated.
let sender = null; // {pin, box}
function openWall() {
  if (out || (sender && sender.pin === pin)) return;
  if (sender) sender.box.destroy();
  sender = { pin, box: mountGameSender(app, socket, pin) };
}

function seated(reply) {
  me = { player_id: reply.player_id, nickname: reply.nickname, team: reply.team };
  seats.set(pin, reply.rejoin_token);
  last.score = reply.score;
  header(reply.score);
  const state = reply.state;
  syncClock(state);
  if (state.phase === "question" && reply.answered) answeredQ = state.q;
  if (reply.result) showResult(reply.result);
  drawState(state, Boolean(reply.result));
  openWall();
}

async function rejoin() {
  const token = pin && seats.get(pin);
  if (!token) {
    show("join");
    return;
  }
  const reply = await call(socket, E.player_join, { pin, rejoin_token: token });
  if (reply.ok) {
    seated(reply);
    return;
  }
  if (reply.error.code === "kicked") {
    kickedOut(reply.error.message);
    return;
  }
  if (reply.error.code !== "unavailable" && reply.error.code !== "rate_limited") seats.forget(pin);
  me = null;
  notice(errorMessage(reply));
  show("join");
}

function kickedOut(message) {
  out = true;
  $("wall-dock").hidden = true;
  stopCountdown();
  $("out-text").textContent = message;
  $("me").textContent = "";
  show("out");
}

function waitScreen(title, text = "") {
  $("wait-title").textContent = title;
  $("wait-text").textContent = text;
  show("wait");
}

function drawState(state, keepResult = false) {
  if (out) return;
  syncClock(state);
  if (state.phase === "lobby") {
    waitScreen("已加入，等待主持人开始", `本场共 ${state.total} 题，请留意大屏幕`);
  } else if (state.phase === "question" && state.question) {
    if (answeredQ === state.q) {
      current = state;
      show("submitted");
    } else if (!current || current.q !== state.q || $("answer").hidden) {
      drawQuestion(state);
    }
  } else if (state.phase === "reveal" || state.phase === "leaderboard") {
    stopCountdown();
    if (!keepResult && resultQ !== state.q) {
      waitScreen(state.phase === "reveal" ? "答案揭晓中" : "请看大屏排行榜");
    }
  } else if (state.phase === "podium" || state.phase === "ended") {
    stopCountdown();
    $("over-score").textContent = last.score;
    $("over-rank").textContent = last.rank || "—";
    show("over");
  }
}

function choiceButton(index, text) {
  const button = el("button", `choice c${index}`);
  button.type = "button";
  button.dataset.index = String(index);
  button.dataset.testid = "choice";
  button.append(el("span", "mark", MARKS[index]), el("span", "letter", LETTERS[index]), el("span", "text", text));
  return button;
}

function drawQuestion(state) {
  current = state;
  const question = state.question;
  $("answer-number").textContent = `第 ${state.q + 1} / ${state.total} 题 · ${TYPE_NAMES[question.type] || ""}`;
  $("answer-stem").textContent = question.stem;
  const choices = $("choices");
  clear(choices);
  const form = $("fill-form");
  clear(form);
  form.hidden = true;
  $("submit-choice").hidden = true;
  $("order-hint").hidden = true;
  $("multiple-hint").hidden = true;
  choices.className = `choices ${question.type}`;
  const options = question.type === "judge" && question.options.length === 0 ? ["对", "错"] : question.options;
  const buttons = options.map((text, index) => choices.appendChild(choiceButton(index, text)));
  if (question.type === "single" || question.type === "judge") {
    // One tap submits.
    buttons.forEach((button, index) => button.addEventListener("click", () => submit([index])));
  } else if (question.type === "multiple") {
    $("multiple-hint").hidden = false;
    $("submit-choice").hidden = false;
    buttons.forEach((button) => button.addEventListener("click", () => {
      const picked = button.classList.toggle("picked");
      button.setAttribute("aria-pressed", picked ? "true" : "false");
    }));
    $("submit-choice").onclick = () => {
      const chosen = buttons.filter((b) => b.classList.contains("picked")).map((b) => Number(b.dataset.index));
      if (chosen.length === 0) notice("请至少选择一项。");
      else submit(chosen);
    };
  } else if (question.type === "order") {
    // Tap the options in order; each shows its place; 重选 starts again.
    const picked = [];
    $("order-hint").hidden = false;
    $("submit-choice").hidden = false;
    $("order-reset").onclick = () => {
      picked.length = 0;
      buttons.forEach((b) => { b.classList.remove("picked"); b.dataset.step = ""; });
    };
    buttons.forEach((button, index) => button.addEventListener("click", () => {
      if (picked.includes(index)) return;
      picked.push(index);
      button.classList.add("picked");
      button.dataset.step = String(picked.length);
    }));
    $("submit-choice").onclick = () => {
      if (picked.length !== buttons.length) notice("请把所有选项都排好顺序。");
      else submit([...picked]);
    };
  } else if (question.type === "fill") {
    form.hidden = false;
    const blanks = question.blanks || 1;
    const inputs = [];
    for (let i = 0; i < blanks; i += 1) {
      const input = el("input", "fill");
      input.maxLength = 100;
      input.autocomplete = "off";
      input.placeholder = blanks > 1 ? `第 ${i + 1} 空` : "请输入答案";
      input.dataset.testid = "fill";
      inputs.push(input);
      form.append(input);
    }
    const send = el("button", "primary", "提交");
    send.type = "submit";
    form.append(send);
    form.onsubmit = (event) => {
      event.preventDefault();
      const values = inputs.map((input) => input.value.trim());
      if (values.some((v) => !v)) notice("请填写每一个空。");
      else submit(blanks === 1 ? values[0] : values);
    };
  }
  // The read time: the options appear at open_ms (the server's clock).
  if (readTimer) clearTimeout(readTimer);
  const wait = state.open_ms - serverNow();
  const body = [choices, form, $("submit-choice")];
  const hiddenBefore = body.map((node) => node.hidden);
  const open = () => {
    body.forEach((node, i) => { node.hidden = hiddenBefore[i]; });
    $("answer-reading").hidden = true;
  };
  if (wait > 0) {
    body.forEach((node) => { node.hidden = true; });
    $("answer-reading").hidden = false;
    readTimer = setTimeout(open, wait);
  } else open();
  countdown($("answer-countdown"), state.deadline_ms, () => {
    if (current && current.q === state.q && answeredQ !== state.q && !$("answer").hidden) {
      waitScreen("作答时间已到", "等待揭晓答案……");
    }
  });
  show("answer");
}

function chosenText(question, choice) {
  if (question.type === "fill") return (Array.isArray(choice) ? choice : [choice]).join("；");
  if (question.type === "order") return choice.map((i) => LETTERS[i]).join(" → ");
  return choice.map((i) => LETTERS[i]).join("、");
}

async function submit(choice) {
  if (!current || answeredQ === current.q) return;
  const q = current.q;
  const controls = document.querySelectorAll("#answer button, #answer input");
  for (const control of controls) control.disabled = true;
  const reply = await call(socket, E.player_answer, { pin, q, choice });
  for (const control of controls) control.disabled = false;
  if (reply.ok || reply.error.code === "duplicate_answer") {
    answeredQ = q;
    $("submitted-choice").textContent = reply.ok ? `你的答案：${chosenText(current.question, choice)}` : "";
    if (resultQ !== q) show("submitted");
    return;
  }
  notice(errorMessage(reply));
  if (reply.error.code === "not_open" || reply.error.code === "late") {
    waitScreen(reply.error.code === "late" ? "作答时间已到" : "本题已不能作答", "请等待下一题");
  }
}

function showResult(result) {
  if (out) return;
  stopCountdown();
  resultQ = result.q;
  last = { score: result.score, rank: result.rank };
  let title = "本题未作答";
  if (result.answered) title = result.correct ? "回答正确 ✓" : result.points > 0 ? "部分正确" : "回答错误 ✗";
  $("result-title").textContent = title;
  $("result").className = `screen ${result.answered && result.correct ? "right" : "missed"}`;
  $("result-points").textContent = result.points;
  $("result-score").textContent = result.score;
  $("result-rank").textContent = result.rank || "—";
  $("result-streak").textContent = result.streak;
  const question = current && current.q === result.q ? current.question : null;
  $("result-answer").textContent = question && reveal && reveal.q === result.q
    ? `正确答案：${answerText(question, reveal.correct)}` : "";
  header(result.score);
  show("result");
}

$("join-pin").addEventListener("change", loadTeams);
$("join-pin").addEventListener("input", () => {
  if (normalisePin($("join-pin").value).length === 6) loadTeams();
});
$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const typed = normalisePin($("join-pin").value);
  if (typed.length !== 6) {
    notice("请输入 6 位数字 PIN 码。");
    return;
  }
  const nickname = $("join-nickname").value.trim();
  if (!nickname) {
    notice("请填写昵称。");
    return;
  }
  if (!$("join-team-label").hidden && !$("join-team").value) {
    notice("请选择队伍。");
    return;
  }
  pin = typed;
  $("join-button").disabled = true;
  const reply = await call(socket, E.player_join, {
    pin, nickname, team: $("join-team").value || "", member_no: $("join-member-no").value.trim(),
  });
  $("join-button").disabled = false;
  if (!reply.ok) {
    if (reply.error.code === "kicked") kickedOut(reply.error.message);
    else notice(errorMessage(reply));
    return;
  }
  notice("");
  if (pin !== pagePin) history.replaceState(null, "", `/play/${pin}`);
  seated(reply);
});

// Every (re)connect: back to the seat if this phone has one for this PIN.
let offline = false;
socket.on("connect", () => {
  if (offline) notice(""); // only clear the "reconnecting" message, not a join error
  offline = false;
  if (me || (pin && seats.get(pin))) rejoin();
  else if (!out) show("join");
});
socket.on("disconnect", () => {
  offline = true;
  notice("网络中断，正在重连……", true);
});
socket.on("connect_error", () => {
  offline = true;
  notice("无法连接服务器，正在重试……", true);
});
// The phase changed (room game:<pin>).
socket.on(E.game_state, (state) => drawState(state));
// The open question closed: the right answer, shown at once (room game:<pin>). This phone's
// own result follows once every player is scored, and is shown with the answer.
socket.on(E.game_reveal, (data) => {
  reveal = data;
  if (!current || current.q !== data.q) return;
  const text = `正确答案：${answerText(current.question, data.correct)}`;
  if (resultQ === data.q) $("result-answer").textContent = text;
  else waitScreen("答案揭晓", text);
});
// This player's result for the question just closed (room player:<pin>:<id>).
socket.on(E.player_result, showResult);
// The host removed this player (room player:<pin>:<id>).
socket.on(E.player_kicked, (data) => kickedOut(data.message));
// The game is over: the podium is on the big screen (room game:<pin>).
socket.on(E.game_over, () => drawState({ phase: "ended" }));

if (pin) loadTeams();
