// The phone: join, answer, see the result. The seat survives reloads, sleep and Wi-Fi
// drops through the signed rejoin token kept in localStorage and sent on every connect.
import {
  LETTERS, MARKS, TYPE_NAMES, call, clear, config, connect, countdown, el, errorMessage, notice, serverNow, show,
  stopCountdown, syncClock,
} from "./live-common.js";

const { pin: pagePin, events: E } = config();
const $ = (id) => document.getElementById(id);
const seatKey = (pin) => `arena-seat:${pin}`;

let pin = pagePin;
let me = null; // {player_id, nickname, team, score, streak}
let current = null; // the open question's state
let answeredQ = -1;
let resultQ = -1; // the result can arrive before the answer's own acknowledgement
let last = { score: 0, rank: null };
const socket = connect();

function normalisePin(text) {
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/\D/g, "");
}

async function loadTeams() {
  const value = normalisePin($("join-pin").value);
  const select = $("join-team");
  clear(select);
  if (value.length !== 6) return;
  try {
    const response = await fetch(`/play/${value}/teams`, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!body.ok) {
      notice(errorMessage(body));
      return;
    }
    for (const team of body.teams) select.append(new Option(team, team));
    select.closest("label").hidden = body.teams.length === 0;
  } catch (_error) {
    notice("网络不稳定，请稍后重试。");
  }
}

function seated(reply) {
  me = reply;
  localStorage.setItem(seatKey(pin), reply.rejoin_token);
  $("me").textContent = `${reply.nickname} · ${reply.team} · ${reply.score} 分`;
  last.score = reply.score;
  const state = reply.state;
  syncClock(state);
  if (state.phase === "question" && reply.answered) answeredQ = state.q;
  if (reply.result) showResult(reply.result);
  drawState(state, Boolean(reply.result));
}

async function rejoin() {
  const token = pin && localStorage.getItem(seatKey(pin));
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
  if (reply.error.code !== "unavailable") localStorage.removeItem(seatKey(pin));
  notice(errorMessage(reply));
  show("join");
}

function kickedOut(message) {
  stopCountdown();
  $("out-text").textContent = message;
  show("out");
}

function drawState(state, keepResult = false) {
  syncClock(state);
  if (state.phase === "lobby") {
    $("wait-title").textContent = "已加入，等待主持人开始";
    $("wait-text").textContent = `本场共 ${state.total} 题`;
    show("wait");
  } else if (state.phase === "question" && state.question) {
    if (answeredQ === state.q) show("submitted");
    else drawQuestion(state);
  } else if (state.phase === "reveal" || state.phase === "leaderboard") {
    stopCountdown();
    if (!keepResult && $("result").hidden) {
      $("wait-title").textContent = state.phase === "reveal" ? "答案揭晓中" : "请看大屏排行榜";
      $("wait-text").textContent = "";
      show("wait");
    }
  } else if (state.phase === "podium" || state.phase === "ended") {
    stopCountdown();
    $("over-score").textContent = last.score;
    $("over-rank").textContent = last.rank || "—";
    show("over");
  }
}

function drawQuestion(state) {
  current = state;
  const question = state.question;
  $("answer-number").textContent = `第 ${state.q + 1} / ${state.total} 题 · ${TYPE_NAMES[question.type] || ""}`;
  $("answer-stem").textContent = question.stem;
  const choices = $("choices");
  clear(choices);
  $("fill-form").hidden = true;
  $("submit-choice").hidden = true;
  $("order-hint").hidden = true;
  const picked = [];
  const buttons = question.options.map((text, index) => {
    const button = el("button", `choice c${index}`);
    button.type = "button";
    button.dataset.index = String(index);
    button.append(el("span", "mark", MARKS[index]), el("span", "letter", LETTERS[index]), el("span", "text", text));
    choices.append(button);
    return button;
  });
  if (question.type === "single" || question.type === "judge") {
    buttons.forEach((button, index) => button.addEventListener("click", () => submit([index])));
  } else if (question.type === "multiple") {
    $("submit-choice").hidden = false;
    buttons.forEach((button, index) => button.addEventListener("click", () => {
      button.classList.toggle("picked");
      button.setAttribute("aria-pressed", button.classList.contains("picked") ? "true" : "false");
    }));
    $("submit-choice").onclick = () => {
      const chosen = buttons.filter((b) => b.classList.contains("picked")).map((b) => Number(b.dataset.index));
      if (chosen.length === 0) notice("请至少选择一项。");
      else submit(chosen);
    };
  } else if (question.type === "order") {
    $("order-hint").hidden = false;
    $("submit-choice").hidden = false;
    const reset = () => {
      picked.length = 0;
      buttons.forEach((b) => { b.classList.remove("picked"); b.dataset.step = ""; });
    };
    $("order-reset").onclick = reset;
    buttons.forEach((button, index) => button.addEventListener("click", () => {
      if (picked.includes(index)) return;
      picked.push(index);
      button.classList.add("picked");
      button.dataset.step = String(picked.length);
    }));
    $("submit-choice").onclick = () => {
      if (picked.length !== buttons.length) notice("请把所有选项排完顺序。");
      else submit([...picked]);
    };
  } else if (question.type === "fill") {
    const form = $("fill-form");
    form.hidden = false;
    clear(form);
    const blanks = question.blanks || 1;
    const inputs = [];
    for (let i = 0; i < blanks; i += 1) {
      const input = el("input", "fill");
      input.maxLength = 100;
      input.autocomplete = "off";
      input.placeholder = blanks > 1 ? `第 ${i + 1} 空` : "请输入答案";
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
      else submit(values);
    };
  }
  // The read time: the options appear at open_ms.
  const wait = state.open_ms - serverNow();
  choices.hidden = wait > 0;
  if (wait > 0) setTimeout(() => { choices.hidden = false; }, wait);
  countdown($("answer-countdown"), state.deadline_ms);
  show("answer");
}

async function submit(choice) {
  if (!current || answeredQ === current.q) return;
  const q = current.q;
  for (const button of document.querySelectorAll("#answer button, #answer input")) button.disabled = true;
  const reply = await call(socket, E.player_answer, { pin, q, choice });
  for (const button of document.querySelectorAll("#answer button, #answer input")) button.disabled = false;
  if (reply.ok || reply.error.code === "duplicate_answer") {
    answeredQ = q;
    if (resultQ !== q) show("submitted");
    return;
  }
  notice(errorMessage(reply));
  if (reply.error.code === "not_open" || reply.error.code === "late") {
    $("wait-title").textContent = reply.error.code === "late" ? "作答时间已到" : "本题开始后加入，请从下一题作答";
    $("wait-text").textContent = "";
    show("wait");
  }
}

function showResult(result) {
  stopCountdown();
  resultQ = result.q;
  last = { score: result.score, rank: result.rank };
  $("result-title").textContent = !result.answered ? "本题未作答" : result.correct ? "回答正确 ✓" : "回答错误 ✗";
  $("result").className = `screen ${result.answered && result.correct ? "right" : "missed"}`;
  $("result-points").textContent = result.points;
  $("result-score").textContent = result.score;
  $("result-rank").textContent = result.rank || "—";
  $("result-streak").textContent = result.streak;
  if (me) $("me").textContent = `${me.nickname} · ${me.team} · ${result.score} 分`;
  show("result");
}

$("join-pin").addEventListener("change", loadTeams);
$("join-pin").addEventListener("input", () => {
  if (normalisePin($("join-pin").value).length === 6) loadTeams();
});
$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  pin = normalisePin($("join-pin").value);
  $("join-button").disabled = true;
  const reply = await call(socket, E.player_join, {
    pin, nickname: $("join-nickname").value.trim(), team: $("join-team").value || "",
    member_no: $("join-member-no").value.trim(),
  });
  $("join-button").disabled = false;
  if (!reply.ok) {
    notice(errorMessage(reply));
    return;
  }
  if (pin !== pagePin) history.replaceState(null, "", `/play/${pin}`);
  seated(reply);
});

// Every (re)connect: back to the seat if this phone has one for this PIN.
let offline = false;
socket.on("connect", () => {
  if (offline) notice(""); // only clear the "reconnecting" message, not a join error
  offline = false;
  if (me || localStorage.getItem(seatKey(pin))) rejoin();
  else show("join");
});
socket.on("disconnect", () => {
  offline = true;
  notice("网络中断，正在重连……", true);
});
// The phase changed (room game:<pin>).
socket.on(E.game_state, (state) => drawState(state));
// This player's result for the question just closed (room player:<pin>:<id>).
socket.on(E.player_result, showResult);
// The host removed this player (room player:<pin>:<id>).
socket.on(E.player_kicked, (data) => kickedOut(data.message));
// The game is over: the podium is on the big screen (room game:<pin>).
socket.on(E.game_over, () => drawState({ phase: "ended" }));

if (pin) loadTeams();
