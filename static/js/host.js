// The host's big screen. It only draws what the server sends and sends the host's
// commands; the game's rules and timing live on the server.
import {
  TYPE_NAMES, answerText, call, clear, config, connect, countdown, el, errorMessage, notice,
  optionNode, serverNow, show, stopCountdown, syncClock,
} from "./live-common.js";
import { wallConfig } from "./wall-common.js";
import { mountOverlay } from "./wall-overlay.js";

const { app, pin, events: E } = config();
const tokenKey = `arena-host-token:${pin}`;
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) {
  sessionStorage.setItem(tokenKey, fromHash); // a reload of this tab resumes without the fragment
  history.replaceState(null, "", location.pathname + location.search);
}
const hostToken = sessionStorage.getItem(tokenKey) || "";

const $ = (id) => document.getElementById(id);
const socket = connect();
let phase = null; // until host:join answers: the controls wait for the game they steer
let q = -1;
let question = null;
let busy = false;
let readTimer = null;

const NEXT_LABELS = {
  lobby: "下一步：开始比赛", question: "下一步：揭晓答案", reveal: "下一步：排行榜", leaderboard: "下一步：下一题",
  podium: "下一步：结束", ended: "比赛已结束",
};

/** Shrink `box`'s text until its content fits (long stems, many players); never below `min` %. */
function fit(box, min = 55) {
  if (!box || box.closest("[hidden]")) return;
  for (let size = 100; size >= min; size -= 5) {
    box.style.fontSize = `${size}%`;
    if (box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1) return;
  }
}
function refit() {
  fit($("teams"), 40);
  for (const id of ["question", "reveal", "leaderboard", "podium"]) fit($(id));
}
function screen(id) {
  show(id);
  refit();
}

function kickButton(player) {
  const button = el("button", "kick", "移出");
  button.type = "button";
  button.title = `把 ${player.nickname} 移出比赛`;
  button.dataset.testid = "kick";
  button.addEventListener("click", async () => {
    button.blur();
    if (!confirm(`确定把“${player.nickname}”移出本场比赛？移出后不能再加入。`)) return;
    const reply = await call(socket, E.host_kick, { pin, player_id: player.player_id });
    if (!reply.ok) notice(errorMessage(reply));
  });
  return button;
}

function drawRoster(roster) {
  $("player-count").textContent = roster.count;
  $("lobby-count").textContent = roster.count;
  $("lobby-empty").hidden = roster.count > 0;
  const box = $("teams");
  clear(box);
  box.className = `teams cols${Math.min(3, Math.max(1, roster.teams.length))}`;
  for (const team of roster.teams) {
    const column = el("div", "team");
    const head = el("h3", "");
    head.append(el("span", "team-name", team.team), el("span", "team-count", `${team.players.length} 人`));
    column.append(head);
    const list = el("ul", "names");
    for (const player of team.players) {
      const item = el("li", "");
      item.append(el("span", "name", player.nickname), kickButton(player));
      list.append(item);
    }
    column.append(list);
    box.append(column);
  }
  fit(box, 40);
}

function drawQuestion(state) {
  question = state.question;
  $("question-number").textContent = `第 ${state.q + 1} / ${state.total} 题`;
  $("question-type").textContent = TYPE_NAMES[question.type] || "";
  $("stem").textContent = question.stem;
  const options = $("options");
  clear(options);
  options.className = `options n${question.options.length}`;
  question.options.forEach((text, index) => options.append(optionNode("li", index, text)));
  if (question.type === "fill") {
    options.append(el("li", "option fill", `填空题：请在手机上作答（共 ${question.blanks || 1} 空）`));
  } else if (question.type === "order") {
    options.append(el("li", "option fill", "排序题：请在手机上按正确顺序依次点选"));
  }
  $("answered-count").textContent = state.answered;
  $("answered-of").textContent = state.players;
  // The read time: the stem first, the options at open_ms (the server's clock).
  if (readTimer) clearTimeout(readTimer);
  const wait = state.open_ms - serverNow();
  const reveal = () => {
    options.hidden = false;
    $("reading").hidden = true;
    fit($("question"));
  };
  options.hidden = wait > 0;
  $("reading").hidden = wait <= 0;
  if (wait > 0) readTimer = setTimeout(reveal, wait);
  countdown($("countdown"), state.deadline_ms);
}

function drawReveal(reveal) {
  if (!question || question.index !== reveal.q) return;
  stopCountdown();
  $("reveal-stem").textContent = `${reveal.q + 1}. ${question.stem}`;
  const list = $("reveal-options");
  clear(list);
  const byResult = question.type === "fill" || question.type === "order";
  const total = reveal.distribution.reduce((sum, n) => sum + n, 0);
  const most = Math.max(1, ...reveal.distribution);
  const labels = byResult ? ["答对", "答错"] : question.options;
  labels.forEach((text, index) => {
    const right = byResult ? index === 0 : reveal.correct.includes(index);
    const row = el("li", `row ${right ? "correct" : "wrong"}`);
    const label = byResult ? el("span", `label option ${right ? "c2" : "c0"}`) : optionNode("span", index, text);
    label.classList.add("label");
    if (byResult) label.append(el("span", "mark", right ? "✓" : "✗"), el("span", "text", text));
    if (right) label.append(el("span", "verdict", "✓ 正确"));
    const track = el("span", "track");
    const fill = el("span", `fill c${byResult ? (right ? 2 : 0) : index}`);
    fill.style.width = `${(reveal.distribution[index] / most) * 100}%`; // CSSOM: allowed by the CSP
    track.append(fill);
    const count = reveal.distribution[index];
    const share = total ? Math.round((count / total) * 100) : 0;
    row.append(label, track, el("span", "count", `${count} 人`), el("span", "share", `${share}%`));
    list.append(row);
  });
  $("reveal-answer").textContent = `正确答案：${answerText(question, reveal.correct)}`;
  $("explanation").textContent = reveal.explanation || "（本题无解析）";
  $("source").textContent = reveal.source ? `出处：${reveal.source}` : "";
  screen("reveal");
}

function rankRow(place, who, team, score) {
  const item = el("li", place <= 3 ? `top top${place}` : "");
  item.append(el("span", "place", place), el("span", "who", who), el("span", "team", team),
    el("span", "score", score));
  return item;
}

function drawLeaderboard(board) {
  $("leaderboard-title").textContent = q >= 0 ? `第 ${q + 1} 题后排行榜` : "排行榜";
  const players = $("top-players");
  clear(players);
  for (const row of board.players) {
    const item = rankRow(row.rank, row.nickname, row.team, row.score);
    item.append(kickButton(row));
    players.append(item);
  }
  if (board.players.length === 0) players.append(el("li", "muted", "暂无选手"));
  const teams = $("team-board");
  clear(teams);
  for (const row of board.teams) teams.append(rankRow(row.rank, row.team, `${row.members} 人`, row.score));
  screen("leaderboard");
}

function drawSteps(list, rows, name) {
  clear(list);
  for (const row of rows) {
    const item = el("li", `step p${row.rank}`);
    item.append(el("span", "who", name(row)), el("span", "score", `${row.score} 分`),
      el("span", "place", `第 ${row.rank} 名`));
    list.append(item);
  }
  if (rows.length === 0) list.append(el("li", "muted", "暂无"));
}

function drawPodium(over) {
  stopCountdown();
  drawSteps($("podium-players"), over.podium, (row) => row.nickname);
  drawSteps($("podium-teams"), over.teams, (row) => row.team);
  screen("podium");
}

function drawState(state) {
  syncClock(state);
  phase = state.phase;
  q = state.q;
  $("player-count").textContent = state.players;
  $("progress").textContent = state.q >= 0 ? `第 ${state.q + 1} / ${state.total} 题` : `共 ${state.total} 题`;
  $("next").textContent = NEXT_LABELS[phase] || "下一步";
  showNextEnabled();
  $("end").disabled = false;
  if (phase === "lobby") screen("lobby");
  else if (phase === "question" && state.question) {
    drawQuestion(state);
    screen("question");
  }
  // reveal, leaderboard and podium are drawn from their own events (or host:join's reply).
}

async function join() {
  if (!hostToken) {
    // Say first whether the game exists at all; then that the token is missing.
    const reply = await fetch(`/play/${pin}/teams`).then((r) => r.json()).catch(() => null);
    notice(reply && !reply.ok ? errorMessage(reply) : "缺少主持人凭证，请从管理后台的“开始”按钮重新打开主持页面。", true);
    return;
  }
  const reply = await call(socket, E.host_join, { pin, host_token: hostToken });
  if (!reply.ok) {
    notice(errorMessage(reply), true);
    return;
  }
  notice("");
  drawRoster(reply.roster);
  if (reply.question) question = reply.question;
  drawState(reply.state);
  if (reply.reveal) drawReveal(reply.reveal);
  if (reply.leaderboard) drawLeaderboard(reply.leaderboard);
  if (reply.podium) drawPodium(reply.podium);
}

// One step at a time: a press while the last step awaits its reply is ignored, and the
// button shows it (the new phase's broadcast comes before that reply).
function canStep() {
  return !busy && phase !== null && phase !== "ended";
}

function showNextEnabled() {
  $("next").disabled = !canStep();
}

async function next() {
  if (!canStep()) return;
  busy = true;
  showNextEnabled();
  const reply = await call(socket, phase === "lobby" ? E.host_start : E.host_next, { pin });
  busy = false;
  showNextEnabled();
  if (!reply.ok) notice(errorMessage(reply));
}

// -- the danmaku overlay: the wall of this game's PIN, over the whole page ----------------------
let overlay = null;
let W = null; // the wall's event names
let moderating = false; // this connection is in the wall's moderators' room (wall:settings needs it)
let wallBusy = false;

function drawDanmakuToggle(state) {
  const on = state.overlay !== false;
  const toggle = $("danmaku-toggle");
  toggle.textContent = on ? "弹幕：开" : "弹幕：关";
  toggle.setAttribute("aria-pressed", String(on));
  toggle.disabled = false;
}

function startWall() {
  if (!hostToken) return;
  W = wallConfig(app).events;
  overlay = mountOverlay(document.body, socket, { pin, token: hostToken, events: W, onState: drawDanmakuToggle });
  $("moderate-link").href = `/wall/${pin}/moderate#token=${encodeURIComponent(hostToken)}`;
  $("moderate-link").hidden = false;
}

async function toggleDanmaku() {
  if (!overlay || wallBusy) return;
  wallBusy = true;
  try {
    // The game's host token also moderates its wall: join the moderators first, then switch.
    if (!moderating) {
      const joined = await call(socket, W.moderator_join, { pin, token: hostToken });
      if (!joined.ok) {
        notice(errorMessage(joined));
        return;
      }
      moderating = true;
    }
    const reply = await call(socket, W.settings, { pin, overlay: !overlay.state.overlay });
    if (!reply.ok) notice(errorMessage(reply)); // on success wall:state redraws the overlay and the button
  } finally {
    wallBusy = false;
  }
}

// Every (re)connect joins again: the server sends the state to draw.
socket.on("connect", join);
socket.on("disconnect", () => { moderating = false; });
socket.on("disconnect", () => notice("与服务器的连接中断，正在重连……", true));
socket.on("connect_error", () => notice("无法连接服务器，正在重试……", true));
// The phase changed (room game:<pin>).
socket.on(E.game_state, drawState);
// Answered count while a question is open, a few times a second (room host:<pin>).
socket.on(E.game_answered, (data) => {
  if (data.q !== q) return;
  $("answered-count").textContent = data.answered;
  $("answered-of").textContent = data.players;
});
// The open question closed: correct answer, distribution, explanation (room game:<pin>).
socket.on(E.game_reveal, drawReveal);
// Top players and every team (room game:<pin>).
socket.on(E.game_leaderboard, drawLeaderboard);
// The podium (room game:<pin>).
socket.on(E.game_over, drawPodium);
// Who is in the game, after each join or kick (room host:<pin>).
socket.on(E.game_players, drawRoster);

$("next").addEventListener("click", (event) => {
  event.currentTarget.blur(); // so that a later Space does not press it a second time
  next();
});
$("danmaku-toggle").addEventListener("click", (event) => {
  event.currentTarget.blur();
  toggleDanmaku();
});
$("end").addEventListener("click", async (event) => {
  event.currentTarget.blur();
  if (phase === null || phase === "ended") return;
  if (!confirm("确定现在结束比赛？未进行的题目将不再进行，直接颁奖。")) return;
  const reply = await call(socket, E.host_end, { pin });
  if (!reply.ok) notice(errorMessage(reply));
});
document.addEventListener("keydown", (event) => {
  if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
  if (event.key === " " || event.key === "ArrowRight") {
    event.preventDefault();
    next();
  } else if (event.key === "d" || event.key === "D") {
    toggleDanmaku();
  } else if (event.key === "f" || event.key === "F") {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  }
});
window.addEventListener("resize", refit);
startWall();
