// The big screen of a scenario run (the projector): the lobby, the act with its time box and
// each group's progress, then the reveal. It only draws the `screen` payload, which never
// holds a role or a clue's text.
import { call, clear, config, connect, el, errorMessage, notice, show } from "./live-common.js";
import { ACT_TYPES, ActTimer, actNumber, fit, hostToken, roughClock } from "./scenario-common.js";
import { wallConfig } from "./wall-common.js";
import { mountOverlay } from "./wall-overlay.js";

const { app, pin, events: E } = config();
const token = hostToken(pin);
const $ = (id) => document.getElementById(id);
const socket = connect();
const timer = new ActTimer($("timer"));
let current = null;

function refit() {
  fit($("lobby-groups"), 40);
  fit($("group-cards"), 40);
  fit($("stage-play"), 60);
  fit($("decisions"), 35);
  fit($("debrief"), 35);
}

function screen(id) {
  show(id);
  refit();
}

// -- lobby ---------------------------------------------------------------------------------------

function drawLobby(view) {
  $("era").textContent = view.era || "";
  $("summary").textContent = view.summary || "";
  const seated = view.groups.reduce((sum, group) => sum + group.players, 0);
  $("lobby-count").textContent = seated + view.waiting;
  $("lobby-waiting").textContent = view.waiting ? `（${view.waiting} 人等待安排）` : "";
  const box = $("lobby-groups");
  clear(box);
  box.className = `teams cols${view.groups.length > 6 ? 4 : Math.min(3, Math.max(1, view.groups.length))}`;
  for (const group of view.groups) {
    const column = el("div", "team");
    column.dataset.testid = "lobby-group";
    const head = el("h3", "");
    head.append(el("span", "team-name", group.name), el("span", "team-count", `${group.players} 人`));
    column.append(head);
    const list = el("ul", "names");
    for (const nickname of group.nicknames) {
      const item = el("li", "");
      item.append(el("span", "name", nickname));
      list.append(item);
    }
    column.append(list);
    box.append(column);
  }
  screen("stage-lobby");
}

// -- an act ----------------------------------------------------------------------------------------

function stat(label, value, share) {
  const row = el("div", "stat");
  row.append(el("span", "stat-label", label), el("span", "stat-value", value));
  if (share !== undefined) {
    const track = el("span", "meter");
    const fill = el("span", "meter-fill");
    fill.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`; // CSSOM: allowed by the CSP
    track.append(fill);
    row.append(track);
  }
  return row;
}

function drawPlay(view) {
  const act = view.act;
  $("act-type").textContent = act ? ACT_TYPES[act.type] || act.type : "";
  $("act-title").textContent = act ? act.title : "";
  $("act-screen").textContent = act ? act.screen : "";
  $("act-screen").classList.toggle("long", Boolean(act && act.screen.length > 80));
  const box = $("group-cards");
  clear(box);
  const count = view.groups.length;
  box.className = `group-cards n${Math.min(6, Math.max(1, count))}`;
  for (const group of view.groups) {
    const card = el("div", "stage-group");
    card.dataset.testid = "group-card";
    const head = el("h2", "");
    head.append(el("span", "group-name", group.name), el("span", "group-size", `${group.players} 人`));
    card.append(head);
    const clues = stat("线索", `${group.clues} / ${group.total_clues}`, group.total_clues ? group.clues / group.total_clues : 0);
    clues.dataset.testid = "group-clues";
    const rate = group.answered ? `${Math.round((group.correct / group.answered) * 100)}%` : "—";
    const checkpoints = stat("关卡正确率", `${rate}（${group.correct} / ${group.answered}）`);
    checkpoints.dataset.testid = "group-checkpoints";
    const votes = stat("已投票", `${group.voted} / ${group.players}`, group.players ? group.voted / group.players : 0);
    votes.dataset.testid = "group-votes";
    card.append(clues, checkpoints, votes);
    box.append(card);
  }
  if (!count) box.append(el("p", "muted", "还没有小组开始游戏。"));
  screen("stage-play");
}

// -- the reveal -----------------------------------------------------------------------------------

function drawReveal(view) {
  const reveal = view.reveal;
  const texts = Object.fromEntries((view.options || []).map((option) => [option.id, option.text]));
  $("answer-text").textContent = reveal.answer_text;
  $("reveal-state").textContent = view.phase === "ended" ? "本场已结束" : (view.act ? view.act.title : "");
  const box = $("decisions");
  clear(box);
  for (const group of view.groups) {
    const decision = group.decision || { tally: {}, choice: null, correct: false };
    const verdict = decision.choice ? (decision.correct ? "correct" : "wrong") : "none";
    const card = el("div", `decision ${verdict}`);
    card.dataset.testid = "decision";
    const head = el("h2", "");
    const badge = el("span", "verdict-badge",
      verdict === "correct" ? "✓ 正确" : verdict === "wrong" ? "✗ 错误" : "未形成结论");
    badge.dataset.testid = "verdict";
    head.append(el("span", "group-name", group.name), badge);
    const choice = el("p", "group-choice",
      decision.choice ? `本组选择：${texts[decision.choice] || decision.choice}` : "本组平票或未投票");
    choice.dataset.testid = "group-choice";
    card.append(head, choice);
    const votes = Object.entries(decision.tally).sort((a, b) => b[1] - a[1]);
    const most = Math.max(1, ...votes.map(([, n]) => n));
    const tally = el("ol", "tally");
    tally.dataset.testid = "tally";
    for (const [id, n] of votes) {
      const row = el("li", id === reveal.answer ? "is-answer" : "");
      const fill = el("span", "meter-fill");
      fill.style.width = `${(n / most) * 100}%`; // CSSOM: allowed by the CSP
      const track = el("span", "meter");
      track.append(fill);
      row.append(el("span", "tally-option", texts[id] || id), track, el("span", "tally-count", `${n} 票`));
      tally.append(row);
    }
    if (!votes.length) tally.append(el("li", "muted", "无人投票"));
    card.append(tally);
    box.append(card);
  }
  $("reveal-text").textContent = reveal.text;
  $("history").textContent = reveal.history;
  $("lesson").textContent = reveal.lesson;
  const sources = $("sources");
  clear(sources);
  for (const source of reveal.sources) sources.append(el("li", "", source));
  $("fiction").textContent = reveal.fiction ? `说明：${reveal.fiction}` : "";
  $("history").parentElement.hidden = !reveal.history;
  $("lesson").parentElement.hidden = !reveal.lesson;
  screen("stage-reveal");
}

function render(view) {
  current = view;
  $("title").textContent = view.title;
  $("act-number").textContent = view.phase === "lobby" ? `共 ${view.total_acts} 幕` : actNumber(view.act, view.total_acts);
  timer.update(view.act, view.timer, view.phase === "playing");
  $("timebox").hidden = $("timer").hidden;
  if (view.phase === "lobby") drawLobby(view);
  else if (view.reveal) drawReveal(view);
  else drawPlay(view);
}

async function join() {
  if (!token) {
    notice("缺少主持人凭证：请从主持台的“打开大屏幕”链接打开本页。", true);
    return;
  }
  const reply = await call(socket, E.screen_join, { pin, host_token: token });
  if (!reply.ok) {
    notice(errorMessage(reply), true);
    return;
  }
  notice("");
  render(reply.screen);
}

socket.on("connect", join);
// The danmaku overlay of this run's wall (the host turns it on and off from the moderation page).
if (token) mountOverlay(document.body, socket, { pin, token, events: wallConfig(app).events });
socket.on("disconnect", () => notice("与服务器的连接中断，正在重连……", true));
socket.on("connect_error", () => notice("无法连接服务器，正在重试……", true));
// Every change of the run (room scenario:<pin>:screen).
socket.on(E.screen, render);
window.addEventListener("resize", () => { if (current) refit(); });
document.addEventListener("keydown", (event) => {
  if (event.key === "f" || event.key === "F") {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  }
});
roughClock();
