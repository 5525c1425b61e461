// The host's console of a scenario run (a laptop or phone, not the projector: it shows who
// plays which role). It draws the `host` payload and sends the host's commands; the rules
// live on the server.
import { call, clear, config, connect, el, errorMessage, notice } from "./live-common.js";
import { ACT_TYPES, ActTimer, UNLOCKS, actNumber, hostToken, roughClock } from "./scenario-common.js";

const { pin, events: E } = config();
const token = hostToken(pin);
const $ = (id) => document.getElementById(id);
const socket = connect();
const timer = new ActTimer($("timer"));
let view = null;
let busy = false;
let pendingPlayers = false; // an update arrived while the host had a list open
let written = null; // whether 结束 wrote the run to the database (null: not known on this page)

if (token) {
  $("screen-link").href = `/scenario/${pin}/screen#token=${encodeURIComponent(token)}`;
  // The run's danmaku wall: its moderation page turns the screen's overlay on and off.
  $("wall-link").href = `/wall/${pin}/moderate#token=${encodeURIComponent(token)}`;
}

function report(reply) {
  if (reply.ok) return true;
  let message = errorMessage(reply);
  if (reply.error && Array.isArray(reply.error.groups) && reply.error.groups.length) {
    message += `（${reply.error.groups.join("、")}）`;
  }
  notice(message);
  return false;
}

async function send(event, payload) {
  const reply = await call(socket, event, { pin, ...payload });
  if (report(reply) && reply.host) render(reply.host);
  return reply.ok;
}

function groupName(index) {
  return index === null || index === undefined ? "未分组" : (view.group_names[index] || `第 ${index + 1} 组`);
}

// -- status and controls -------------------------------------------------------------------------

function drawStatus(host) {
  const act = host.act;
  $("run-title").textContent = host.title;
  const playing = host.phase === "playing";
  if (host.phase === "lobby") {
    $("act-number").textContent = `共 ${host.total_acts} 幕`;
    $("act-type").textContent = "大厅";
    $("act-title").textContent = "大厅：等待玩家加入";
    $("act-screen").textContent = "玩家到齐后按“下一幕”：未指定的角色随机分配，进入第一幕。";
  } else {
    $("act-number").textContent = actNumber(act, host.total_acts);
    $("act-type").textContent = host.phase === "ended" ? "已结束" : (act ? ACT_TYPES[act.type] || act.type : "");
    $("act-title").textContent = act ? act.title : "本场已结束";
    $("act-screen").textContent = act ? act.screen : "";
  }
  $("hint").textContent = host.hint || (host.phase === "lobby" ? "核对各组人数与必需角色后开始。" : "（本幕没有主持提示）");
  timer.update(act, host.timer, playing);
  $("no-timer").hidden = !$("timer").hidden;
  $("no-timer").textContent = host.phase === "ended" ? "本场已结束" : host.phase === "lobby" ? "未开始" : "本幕不限时";

  const last = act ? act.index + 1 >= host.total_acts : false;
  $("next").disabled = host.phase === "ended" || (playing && last);
  $("next").textContent = host.phase === "lobby" ? "下一幕 ▶ 分配角色并开始" : "下一幕 ▶";
  const upcoming = host.phase === "lobby" ? host.acts[0] : act && !last ? host.acts[act.index + 1] : null;
  $("next-what").textContent = host.phase === "ended" ? endedText()
    : upcoming ? `接下来：${upcoming.title}（${ACT_TYPES[upcoming.type] || upcoming.type}）` : "已是最后一幕。";
  $("previous").disabled = !playing || !act || act.index <= 0;
  const paused = Boolean(host.timer && host.timer.paused);
  $("pause").textContent = paused ? "继续计时" : "暂停计时";
  $("pause").disabled = !playing || (!paused && !(host.timer && host.timer.deadline_ms));
  // Ending again writes a run the database could not take the first time (once, however often).
  $("end").disabled = host.phase === "ended" && written === true;
  $("end").textContent = host.phase === "ended" ? "重新写入结果" : "结束";
  const seated = host.players.filter((player) => player.group !== null).length;
  $("player-count").textContent = seated;
  $("waiting-count").textContent = host.waiting;
  $("waiting-line").hidden = !host.waiting;
}

function endedText() {
  if (written === true) return "本场已结束，结果已记录。";
  if (written === false) return "本场已结束，但结果尚未写入数据库：请稍后点“重新写入结果”。";
  return "本场已结束。如结果未写入数据库，可点“重新写入结果”（不会重复计分）。";
}

async function end() {
  if (busy || !view) return;
  if (view.phase !== "ended" && !confirm("确定结束本场剧本杀？结束后玩家不能再操作，结果将被记录。")) return;
  busy = true;
  try {
    const reply = await call(socket, E.end, { pin });
    if (!report(reply)) return;
    if (typeof reply.written === "boolean") written = reply.written;
    if (reply.written === false) notice(reply.message || "结果暂时没有写入数据库，请稍后再试。", true);
    else notice("");
    if (reply.host) render(reply.host);
  } finally {
    busy = false;
  }
}

// -- players -----------------------------------------------------------------------------------

function option(value, text, selected = false, disabled = false) {
  const node = new Option(text, value, selected, selected);
  node.disabled = disabled;
  return node;
}

function groupSelect(player) {
  const select = el("select", "group-select");
  select.dataset.testid = "group-select";
  select.setAttribute("aria-label", `${player.nickname} 的小组`);
  if (player.group === null) select.append(option("", "选择小组", true));
  view.group_names.forEach((name, index) => select.append(option(String(index), name, index === player.group)));
  return select;
}

function roleSelect(player, group) {
  const select = el("select", "role-select");
  select.dataset.testid = "role-select";
  select.setAttribute("aria-label", `${player.nickname} 的角色`);
  const holders = {};
  for (const other of view.players) {
    if (other.player_id !== player.player_id && other.group === group && other.role) holders[other.role] = other;
  }
  if (!player.role) select.append(option("", view.phase === "lobby" ? "随机分配" : "选择角色", true));
  for (const role of view.roles) {
    const holder = holders[role.id];
    const label = `${role.name}${role.required ? "（必需）" : ""}${holder ? ` · 已由 ${holder.nickname} 扮演` : ""}`;
    select.append(option(role.id, label, role.id === player.role, Boolean(holder)));
  }
  return select;
}

function button(text, testid, onClick, className = "small-button") {
  const node = el("button", className, text);
  node.type = "button";
  node.dataset.testid = testid;
  node.addEventListener("click", onClick);
  return node;
}

function onlineDot(player) {
  const dot = el("span", `dot ${player.online ? "online" : "offline"}`, player.online ? "●" : "○");
  dot.title = player.online ? "在线" : "离线";
  dot.setAttribute("aria-label", dot.title);
  dot.dataset.testid = "online";
  dot.dataset.online = player.online ? "1" : "0";
  return dot;
}

function noteButton(player) {
  return button("私信", "note", async () => {
    const text = prompt(`给 ${player.nickname} 发私信（只有 TA 的手机能看到，最多 200 字）：`, "");
    if (text === null) return;
    const trimmed = text.trim();
    if (!trimmed) return;
    if (await send(E.note, { player_id: player.player_id, text: trimmed.slice(0, 200) })) {
      notice(`已发送给 ${player.nickname}。`);
    }
  });
}

/** A player without a role once the run has started: place them, or give them a seat. */
function waitingControls(player) {
  const box = el("div", "waiting-controls");
  const groups = groupSelect(player);
  let roles = roleSelect(player, player.group);
  groups.addEventListener("change", () => {
    const fresh = roleSelect(player, groups.value === "" ? null : Number(groups.value));
    roles.replaceWith(fresh);
    roles = fresh;
  });
  const place = button("安排", "assign", () => {
    if (groups.value === "" || !roles.value) {
      notice("请先选择小组和角色。");
      return;
    }
    const payload = { player_id: player.player_id, role: roles.value };
    if (Number(groups.value) !== player.group) payload.group = Number(groups.value);
    send(E.assign, payload);
  });
  const seats = view.players
    .filter((other) => other.role && other.player_id !== player.player_id)
    .sort((a, b) => Number(a.online) - Number(b.online) || a.nickname.localeCompare(b.nickname, "zh-CN"));
  const seatSelect = el("select", "seat-select");
  seatSelect.dataset.testid = "seat-select";
  seatSelect.setAttribute("aria-label", `${player.nickname} 顶替谁的位置`);
  seatSelect.append(option("", seats.length ? "顶替：选择离开的玩家" : "没有可顶替的位置", true));
  for (const seat of seats) {
    seatSelect.append(option(seat.player_id,
      `${seat.nickname}（${seat.role_name} · ${groupName(seat.group)} · ${seat.online ? "在线" : "离线"}）`));
  }
  const replace = button("顶替", "replace", () => {
    const seat = seats.find((other) => other.player_id === seatSelect.value);
    if (!seat) {
      notice("请先选择要顶替的玩家。");
      return;
    }
    const warning = seat.online ? `${seat.nickname} 目前仍在线。` : "";
    if (!confirm(`${warning}确定让 ${player.nickname} 顶替 ${seat.nickname}（${seat.role_name}）？原手机将不能再参与。`)) return;
    send(E.replace, { player_id: seat.player_id, new_player_id: player.player_id });
  });
  seatSelect.disabled = replace.disabled = seats.length === 0;
  const assignRow = el("div", "control-row");
  assignRow.append(groups, roles, place);
  const replaceRow = el("div", "control-row");
  replaceRow.append(seatSelect, replace);
  box.append(assignRow, replaceRow);
  return box;
}

function playerRow(player) {
  const row = el("li", `player-row${player.online ? "" : " is-offline"}`);
  row.dataset.testid = "player";
  row.dataset.playerId = player.player_id;
  const who = el("span", "who");
  who.append(onlineDot(player), el("span", "nickname", player.nickname));
  if (player.member_no) who.append(el("span", "member-no", player.member_no));
  row.append(who);
  const controls = el("span", "player-controls");
  if (view.phase === "lobby") {
    const groups = groupSelect(player);
    groups.addEventListener("change", () => {
      groups.blur();
      if (groups.value !== "") send(E.assign, { player_id: player.player_id, group: Number(groups.value) });
    });
    const roles = roleSelect(player, player.group);
    roles.disabled = player.group === null;
    roles.addEventListener("change", () => {
      roles.blur();
      if (roles.value) send(E.assign, { player_id: player.player_id, role: roles.value });
    });
    controls.append(groups, roles);
  } else if (player.role) {
    const role = el("span", "role-name", player.role_name);
    role.dataset.testid = "role-name";
    controls.append(role);
  } else if (view.phase === "playing") {
    controls.append(el("span", "role-name none", "未分配角色"), waitingControls(player));
  }
  if (view.phase !== "ended") controls.append(noteButton(player));
  row.append(controls);
  return row;
}

function drawPlayers(host) {
  const box = $("groups");
  const focused = document.activeElement;
  if (focused && focused.tagName === "SELECT" && box.contains(focused)) {
    pendingPlayers = true; // redraw when the host leaves the list, not under their finger
    return;
  }
  pendingPlayers = false;
  clear(box);
  $("players-help").textContent = host.phase === "lobby"
    ? "可调整玩家的小组，或预先指定角色；未指定的角色在开始时随机分配。"
    : host.phase === "playing" ? "中途加入的玩家会自动补上空缺角色；没有角色的玩家可以安排或“顶替”已离开的玩家。" : "";
  const byGroup = new Map();
  for (const player of host.players) {
    const key = player.group === null ? "none" : player.group;
    if (!byGroup.has(key)) byGroup.set(key, []);
    byGroup.get(key).push(player);
  }
  const order = host.group_names.map((_name, index) => index);
  if (byGroup.has("none")) order.push("none");
  for (const key of order) {
    const players = byGroup.get(key) || [];
    if (!players.length && host.phase !== "lobby") continue;
    const card = el("div", "group-card");
    card.dataset.testid = "group";
    const head = el("h3", "");
    head.append(el("span", "group-name", key === "none" ? "等待安排" : host.group_names[key]),
      el("span", "group-count", `${players.length} 人`));
    card.append(head);
    const list = el("ul", "player-list");
    for (const player of players) list.append(playerRow(player));
    if (!players.length) list.append(el("li", "muted", "暂无玩家"));
    card.append(list);
    box.append(card);
  }
  if (!host.players.length) box.append(el("p", "muted", "等待玩家扫码加入……"));
}

// -- progress and clues ---------------------------------------------------------------------------

function optionText(host, id) {
  const found = (host.options || []).find((item) => item.id === id);
  return found ? found.text : id;
}

function drawProgress(host) {
  const body = $("progress");
  clear(body);
  if (host.phase === "lobby") {
    const row = el("tr", "");
    const cell = el("td", "muted", "开始后显示各组进度。");
    cell.colSpan = 6;
    row.append(cell);
    body.append(row);
    return;
  }
  for (const group of host.groups) {
    const row = el("tr", "");
    row.dataset.testid = "progress-row";
    let verdict = "—";
    if (group.decision) {
      verdict = group.decision.choice
        ? `${optionText(host, group.decision.choice)} · ${group.decision.correct ? "正确" : "错误"}` : "平票，未形成结论";
    }
    for (const text of [group.name, group.players, `${group.clues} / ${group.total_clues}`,
      `${group.correct} / ${group.answered}`, `${group.voted} / ${group.players}`, verdict]) {
      row.append(el("td", "", text));
    }
    body.append(row);
  }
}

function drawClues(host) {
  const list = $("clues");
  clear(list);
  const playing = host.phase === "playing";
  for (const clue of host.clues) {
    const item = el("li", "clue-row");
    item.dataset.testid = "clue";
    item.dataset.clue = clue.id;
    const head = el("div", "clue-head");
    head.append(el("strong", "clue-title", clue.title), el("span", "tag", UNLOCKS[clue.unlock] || clue.unlock));
    const have = clue.found_by_groups.map((g) => groupName(g));
    const holders = el("div", "clue-groups muted", have.length ? `已获得：${have.join("、")}` : "尚无小组获得");
    holders.dataset.testid = "clue-groups";
    const controls = el("div", "control-row");
    const target = el("select", "release-target");
    target.dataset.testid = "release-target";
    target.setAttribute("aria-label", `把“${clue.title}”发给`);
    target.append(option("", "全部小组", true));
    host.group_names.forEach((name, index) => {
      target.append(option(String(index), `${name}${clue.found_by_groups.includes(index) ? "（已有）" : ""}`));
    });
    const give = button("发放", "release", async () => {
      const payload = { clue: clue.id };
      if (target.value !== "") payload.group = Number(target.value);
      if (await send(E.release, payload)) notice(`已发放“${clue.title}”。`);
    });
    target.disabled = give.disabled = !playing;
    controls.append(target, give);
    item.append(head, holders, controls);
    list.append(item);
  }
}

function render(host) {
  view = host;
  drawStatus(host);
  drawPlayers(host);
  drawProgress(host);
  drawClues(host);
}

// -- connection ------------------------------------------------------------------------------------

async function join() {
  if (!token) {
    notice("缺少主持人凭证，请从管理后台“剧本杀”页面重新打开主持台。", true);
    return;
  }
  const reply = await call(socket, E.host_join, { pin, host_token: token });
  if (!reply.ok) {
    notice(errorMessage(reply), true);
    return;
  }
  notice("");
  render(reply.host);
}

async function command(event, payload = {}) {
  if (busy) return;
  busy = true;
  try {
    await send(event, payload);
  } finally {
    busy = false;
  }
}

socket.on("connect", join);
socket.on("disconnect", () => notice("与服务器的连接中断，正在重连……", true));
socket.on("connect_error", () => notice("无法连接服务器，正在重试……", true));
// Every change of the run (room scenario:<pin>:host).
socket.on(E.host, render);

$("next").addEventListener("click", (event) => {
  event.currentTarget.blur();
  command(E.next);
});
$("previous").addEventListener("click", (event) => {
  event.currentTarget.blur();
  if (confirm("回到上一幕？已找到的线索会保留。")) command(E.previous);
});
$("pause").addEventListener("click", (event) => {
  event.currentTarget.blur();
  command(view && view.timer && view.timer.paused ? E.resume : E.pause);
});
$("end").addEventListener("click", (event) => {
  event.currentTarget.blur();
  end();
});
$("groups").addEventListener("focusout", (event) => {
  if ($("groups").contains(event.relatedTarget)) return; // still choosing in the list
  setTimeout(() => { if (pendingPlayers && view) drawPlayers(view); }, 0);
});
roughClock();
