// The host's big screen. It only draws what the server sends and sends the host's
// commands; the game's rules and timing live on the server.
import {
  TYPE_NAMES, answerText, call, clear, config, connect, countdown, el, errorMessage, notice, optionNode, serverNow,
  show, stopCountdown, syncClock,
} from "./live-common.js";

const { pin, events: E } = config();
const tokenKey = `arena-host-token:${pin}`;
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) {
  sessionStorage.setItem(tokenKey, fromHash); // a reload of this tab resumes without the fragment
  history.replaceState(null, "", location.pathname);
}
const hostToken = sessionStorage.getItem(tokenKey) || "";

const $ = (id) => document.getElementById(id);
const socket = connect();
let phase = "lobby";
let question = null;
let total = 0;
let busy = false;

const NEXT_LABELS = {
  lobby: "开始比赛", question: "揭晓答案", reveal: "查看排行", leaderboard: "下一题", podium: "完成", ended: "已结束",
};

function kickButton(player) {
  const button = el("button", "kick", "移出");
  button.type = "button";
  button.addEventListener("click", async () => {
    if (!confirm(`确定把“${player.nickname}”移出本场比赛？`)) return;
    const reply = await call(socket, E.host_kick, { pin, player_id: player.player_id });
    if (!reply.ok) notice(errorMessage(reply));
  });
  return button;
}

function drawRoster(roster) {
  $("player-count").textContent = roster.count;
  $("lobby-count").textContent = roster.count;
  const box = $("teams");
  clear(box);
  for (const team of roster.teams) {
    const column = el("div", "team");
    column.append(el("h3", "", `${team.team}（${team.players.length}）`));
    const list = el("ul", "names");
    for (const player of team.players) {
      const item = el("li", "", player.nickname);
      item.append(kickButton(player));
      list.append(item);
    }
    column.append(list);
    box.append(column);
  }
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
  if (question.type === "fill") options.append(el("li", "option fill", `填空题：请在手机上作答（${question.blanks || 1} 空）`));
  $("answered-count").textContent = state.answered;
  $("answered-of").textContent = state.players;
  // The read time: the stem first, the options at open_ms.
  const wait = state.open_ms - serverNow();
  options.hidden = wait > 0;
  if (wait > 0) setTimeout(() => { options.hidden = false; }, wait);
  countdown($("countdown"), state.deadline_ms);
}

function drawReveal(reveal) {
  if (!question) return;
  stopCountdown();
  $("reveal-stem").textContent = question.stem;
  const list = $("reveal-options");
  clear(list);
  const most = Math.max(1, ...reveal.distribution);
  const labels = question.type === "fill" || question.type === "order" ? ["答对", "答错"] : question.options;
  labels.forEach((text, index) => {
    const item = question.type === "fill" || question.type === "order"
      ? el("li", `option c${index}`, text) : optionNode("li", index, text);
    const right = question.type === "fill" || question.type === "order" ? index === 0 : reveal.correct.includes(index);
    item.classList.toggle("correct", right);
    item.classList.toggle("wrong", !right);
    const bar = el("span", "bar");
    bar.style.width = `${(reveal.distribution[index] / most) * 100}%`;
    item.append(bar, el("span", "count", `${reveal.distribution[index]} 人`));
    list.append(item);
  });
  $("reveal-answer").textContent = `正确答案：${answerText(question, reveal.correct)}`;
  $("explanation").textContent = reveal.explanation || "（本题无解析）";
  $("source").textContent = reveal.source ? `出处：${reveal.source}` : "";
  show("reveal");
}

function drawLeaderboard(board) {
  const players = $("top-players");
  clear(players);
  for (const row of board.players) {
    const item = el("li", "");
    item.append(el("span", "place", row.rank), el("span", "who", row.nickname), el("span", "team", row.team),
      el("span", "score", row.score));
    item.append(kickButton(row));
    players.append(item);
  }
  const teams = $("team-board");
  clear(teams);
  for (const row of board.teams) {
    const item = el("li", "");
    item.append(el("span", "place", row.rank), el("span", "who", row.team), el("span", "team", `${row.members} 人`),
      el("span", "score", row.score));
    teams.append(item);
  }
  show("leaderboard");
}

function drawPodium(over) {
  stopCountdown();
  const players = $("podium-players");
  clear(players);
  over.podium.forEach((row) => {
    const item = el("li", `step p${row.rank}`);
    item.append(el("span", "place", `第 ${row.rank} 名`), el("span", "who", row.nickname), el("span", "score", `${row.score} 分`));
    players.append(item);
  });
  const teams = $("podium-teams");
  clear(teams);
  over.teams.forEach((row) => {
    const item = el("li", `step p${row.rank}`);
    item.append(el("span", "place", `第 ${row.rank} 名`), el("span", "who", row.team), el("span", "score", `${row.score} 分`));
    teams.append(item);
  });
  show("podium");
}

function drawState(state) {
  syncClock(state);
  phase = state.phase;
  total = state.total;
  $("player-count").textContent = state.players;
  $("progress").textContent = state.q >= 0 ? `第 ${state.q + 1} / ${total} 题` : `共 ${total} 题`;
  $("next").textContent = NEXT_LABELS[phase] || "下一步";
  $("next").disabled = phase === "ended";
  if (phase === "lobby") show("lobby");
  else if (phase === "question" && state.question) {
    drawQuestion(state);
    show("question");
  }
}

async function join() {
  if (!hostToken) {
    notice("缺少主持人凭证，请从管理后台的“开始一场”重新打开主持页面。", true);
    return;
  }
  const reply = await call(socket, E.host_join, { pin, host_token: hostToken });
  if (!reply.ok) {
    notice(errorMessage(reply), true);
    return;
  }
  notice("");
  drawRoster(reply.roster);
  drawState(reply.state);
  if (reply.question) question = reply.question;
  if (reply.reveal) drawReveal(reply.reveal);
  if (reply.leaderboard) drawLeaderboard(reply.leaderboard);
  if (reply.podium) drawPodium(reply.podium);
}

async function next() {
  if (busy || phase === "ended") return;
  busy = true;
  const reply = await call(socket, phase === "lobby" ? E.host_start : E.host_next, { pin });
  busy = false;
  if (!reply.ok) notice(errorMessage(reply));
}

// Every (re)connect joins again: the server sends the state to draw.
socket.on("connect", join);
socket.on("disconnect", () => notice("与服务器的连接中断，正在重连……", true));
// The phase changed (room game:<pin>).
socket.on(E.game_state, drawState);
// Answered count while a question is open, a few times a second (room game:<pin>).
socket.on(E.game_answered, (data) => {
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

$("next").addEventListener("click", next);
$("end").addEventListener("click", async () => {
  if (!confirm("确定现在结束比赛？未完成的题目将不再进行。")) return;
  const reply = await call(socket, E.host_end, { pin });
  if (!reply.ok) notice(errorMessage(reply));
});
document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement) return;
  if (event.key === " " || event.key === "ArrowRight") {
    event.preventDefault();
    next();
  } else if (event.key === "f" || event.key === "F") {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  }
});
