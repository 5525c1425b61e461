// The phone's danmaku box: a comment (≤ 40 characters) in one of the wall's colours, and the
// Q&A tab: ask (≤ 120 characters) and upvote the open questions. Used on the wall's own phone
// page and, collapsed, on the quiz phone. Text is always inserted with textContent.
import { call, clear, el } from "./live-common.js";
import { colorName, length, refusal, store, stored, wallConfig } from "./wall-common.js";

const TEXT_LIMIT = 40;
const QUESTION_LIMIT = 120;

function counted(field, counter, limit) {
  const update = () => {
    const used = length(field.value);
    counter.textContent = `${used}/${limit}`;
    counter.classList.toggle("over", used > limit);
  };
  field.addEventListener("input", update);
  update();
  return update;
}

/**
 * @param {HTMLElement} container where the box goes (emptied first)
 * @param {object} socket the page's Socket.IO client (already joined on `pin` as a player)
 * @param {{pin: string, events: object, colors: string[]}} options
 * @returns {{update: Function, destroy: Function, element: HTMLElement}} `update({wall,
 *          questions, pinned})` with what a join's reply carries.
 */
export function mountSender(container, socket, { pin, events: E, colors }) {
  const palette = colors && colors.length ? [...colors] : ["#ffffff"];
  let color = palette[0];
  let wall = { mode: "auto", paused: false, overlay: true };
  let questions = [];
  let pinnedId = null;
  const votesKey = `arena-wall-votes:${pin}`;
  const voted = new Set(stored("localStorage", votesKey).split(",").filter(Boolean));

  clear(container);
  const root = el("div", "wall-sender");
  root.dataset.testid = "wall-sender";

  // -- tabs -------------------------------------------------------------------------------------
  const tabs = el("div", "wall-tabs");
  tabs.setAttribute("role", "tablist");
  const tabDanmaku = el("button", "wall-tab", "弹幕");
  const tabQa = el("button", "wall-tab", "提问");
  const panelDanmaku = el("div", "wall-panel");
  const panelQa = el("div", "wall-panel");
  [[tabDanmaku, panelDanmaku, "danmaku"], [tabQa, panelQa, "qa"]].forEach(([tab, panel, name]) => {
    tab.type = "button";
    tab.id = `wall-tab-${name}`;
    tab.dataset.testid = `tab-${name}`;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", `wall-panel-${name}`);
    panel.id = `wall-panel-${name}`;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    tab.addEventListener("click", () => select(name));
    tabs.append(tab);
  });
  function select(name) {
    tabDanmaku.setAttribute("aria-selected", String(name === "danmaku"));
    tabQa.setAttribute("aria-selected", String(name === "qa"));
    panelDanmaku.hidden = name !== "danmaku";
    panelQa.hidden = name !== "qa";
  }

  // -- a comment --------------------------------------------------------------------------------
  const form = el("form", "wall-form");
  form.noValidate = true;
  form.autocomplete = "off";
  const row = el("div", "wall-input-row");
  const input = el("input", "wall-input");
  input.maxLength = TEXT_LIMIT;
  input.placeholder = "说点什么，飞上大屏";
  input.setAttribute("aria-label", "弹幕内容（最多 40 字）");
  input.setAttribute("enterkeyhint", "send");
  input.dataset.testid = "danmaku-input";
  const counter = el("span", "wall-counter");
  counter.setAttribute("aria-hidden", "true");
  const field = el("div", "wall-field");
  field.append(input, counter);
  const updateCounter = counted(input, counter, TEXT_LIMIT);
  const swatches = el("div", "wall-swatches");
  swatches.setAttribute("role", "group");
  swatches.setAttribute("aria-label", "弹幕颜色");
  const swatchButtons = palette.map((value, index) => {
    const swatch = el("button", "wall-swatch");
    swatch.type = "button";
    swatch.style.backgroundColor = value; // CSSOM: allowed by the CSP
    swatch.setAttribute("aria-label", colorName(value, index));
    swatch.title = colorName(value, index);
    swatch.dataset.testid = "swatch";
    swatch.dataset.color = value;
    swatch.addEventListener("click", () => pick(value));
    swatches.append(swatch);
    return swatch;
  });
  function pick(value) {
    color = value;
    swatchButtons.forEach((swatch) => swatch.setAttribute("aria-pressed", String(swatch.dataset.color === value)));
    input.style.color = value === "#ffffff" ? "" : value;
  }
  pick(color);
  const send = el("button", "primary wall-send", "发送");
  send.type = "submit";
  send.dataset.testid = "danmaku-send";
  row.append(field, send);
  form.append(row, swatches);
  const status = el("p", "wall-status");
  status.setAttribute("role", "status");
  status.dataset.testid = "send-status";
  const wallNote = el("p", "wall-note");
  wallNote.dataset.testid = "wall-note";
  wallNote.hidden = true;
  panelDanmaku.append(form, status);

  function say(box, text, kind = "") {
    box.textContent = text;
    box.classList.toggle("good", kind === "good");
    box.classList.toggle("bad", kind === "bad");
  }

  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      say(status, "请先写点什么。", "bad");
      return;
    }
    if (length(text) > TEXT_LIMIT) {
      say(status, `弹幕最多 ${TEXT_LIMIT} 个字。`, "bad");
      return;
    }
    if (sending) return;
    sending = true;
    send.disabled = true;
    say(status, "发送中……", "");
    const reply = await call(socket, E.send, { pin, text, color });
    sending = false;
    send.disabled = false;
    if (!reply.ok) {
      say(status, refusal(reply), "bad");
      return;
    }
    if (input.value.trim() === text) input.value = ""; // not what was typed meanwhile
    updateCounter();
    say(status, reply.status === "queued" ? "已提交审核，通过后上墙" : "已发送", "good");
  });

  // -- Q&A --------------------------------------------------------------------------------------
  const askForm = el("form", "wall-form");
  askForm.noValidate = true;
  const area = el("textarea", "wall-textarea");
  area.maxLength = QUESTION_LIMIT;
  area.rows = 3;
  area.placeholder = "想问主持人或嘉宾的问题";
  area.setAttribute("aria-label", "提问内容（最多 120 字）");
  area.dataset.testid = "question-input";
  const askRow = el("div", "wall-ask-row");
  const askCounter = el("span", "wall-counter");
  askCounter.setAttribute("aria-hidden", "true");
  const updateAskCounter = counted(area, askCounter, QUESTION_LIMIT);
  const ask = el("button", "primary wall-send", "提问");
  ask.type = "submit";
  ask.dataset.testid = "question-send";
  askRow.append(askCounter, ask);
  askForm.append(area, askRow);
  const askStatus = el("p", "wall-status qa-status");
  askStatus.setAttribute("role", "status");
  askStatus.dataset.testid = "question-status";
  const listTitle = el("h3", "wall-list-title", "大家的提问");
  const list = el("ol", "wall-questions");
  list.dataset.testid = "questions";
  const empty = el("p", "wall-empty", "还没有提问，来提第一个吧。");
  panelQa.append(askForm, askStatus, listTitle, list, empty);

  let asking = false;
  askForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text) {
      say(askStatus, "请先写下你的问题。", "bad");
      return;
    }
    if (length(text) > QUESTION_LIMIT) {
      say(askStatus, `提问最多 ${QUESTION_LIMIT} 个字。`, "bad");
      return;
    }
    if (asking) return;
    asking = true;
    ask.disabled = true;
    const reply = await call(socket, E.ask, { pin, text });
    asking = false;
    ask.disabled = false;
    if (!reply.ok) {
      say(askStatus, refusal(reply), "bad");
      return;
    }
    area.value = "";
    updateAskCounter();
    say(askStatus, "已提交提问", "good");
  });

  function markVoted(id) {
    voted.add(id);
    store("localStorage", votesKey, [...voted].slice(-200).join(","));
  }

  function voteButton(question) {
    const button = el("button", "wall-vote");
    button.type = "button";
    button.dataset.testid = "vote";
    const mine = voted.has(question.id);
    button.disabled = mine;
    button.setAttribute("aria-pressed", String(mine));
    button.setAttribute("aria-label", `${mine ? "已点赞" : "点赞"}，${question.votes} 票`);
    button.append(el("span", "wall-thumb", "👍"), el("span", "wall-votes", question.votes));
    button.addEventListener("click", async () => {
      button.disabled = true;
      const reply = await call(socket, E.vote, { pin, question_id: question.id });
      if (reply.ok || (reply.error && reply.error.code === "already_voted")) {
        markVoted(question.id);
        if (reply.ok) {
          const target = questions.find((q) => q.id === question.id);
          if (target) target.votes = reply.votes;
        }
        drawQuestions();
        return;
      }
      button.disabled = false;
      say(askStatus, refusal(reply), "bad");
    });
    return button;
  }

  function drawQuestions() {
    clear(list);
    const open = questions.filter((q) => !q.state || q.state === "open");
    const ordered = [...open].sort((a, b) => (b.id === pinnedId) - (a.id === pinnedId));
    for (const question of ordered) {
      const item = el("li", `wall-question${question.id === pinnedId ? " pinned" : ""}`);
      item.dataset.testid = "question";
      item.dataset.id = question.id;
      const body = el("div", "wall-question-body");
      if (question.id === pinnedId) body.append(el("span", "wall-tag", "置顶"));
      body.append(el("p", "wall-question-text", question.text), el("p", "wall-question-who", question.nickname || "匿名"));
      item.append(body, voteButton(question));
      list.append(item);
    }
    empty.hidden = ordered.length > 0;
  }

  function onQuestions(payload) {
    if (!payload) return;
    questions = Array.isArray(payload.questions) ? payload.questions.map((q) => ({ ...q })) : questions;
    pinnedId = payload.pinned ? payload.pinned.id : null;
    drawQuestions();
  }

  function onState(next) {
    if (!next) return;
    wall = { ...wall, ...next };
    let note = "";
    if (wall.mode === "off") note = "本场没有开启弹幕，可以在“提问”里提问。";
    else if (wall.paused) note = "弹幕墙已暂停，请稍后再发。";
    else if (wall.mode === "manual") note = "本场弹幕经主持人审核后上墙。";
    wallNote.textContent = note;
    wallNote.hidden = !note;
    send.disabled = wall.mode === "off" || wall.paused;
  }

  panelDanmaku.prepend(wallNote);
  root.append(tabs, panelDanmaku, panelQa);
  container.append(root);
  select("danmaku");
  drawQuestions();

  // The wall's state and questions reach a phone once it is in the wall's phones room: after
  // wall:join (the wall's own page) or its first comment or question (a game's phone).
  socket.on(E.state, onState);
  socket.on(E.questions, onQuestions);

  return {
    element: root,
    update({ wall: nextWall, questions: nextQuestions, pinned } = {}) {
      if (nextWall) onState(nextWall);
      if (nextQuestions) onQuestions({ questions: nextQuestions, pinned });
    },
    destroy() {
      socket.off(E.state, onState);
      socket.off(E.questions, onQuestions);
      root.remove();
    },
  };
}

/** The sender of a game's wall on that game's phone page (a quiz or a scenario run): mounted
 *  in #wall-sender inside the collapsed #wall-dock once the phone is seated, and subscribed
 *  to the wall's state and questions (the phone sends as the player it is). */
export function mountGameSender(app, socket, pin) {
  const wall = wallConfig(app);
  const box = mountSender(document.getElementById("wall-sender"), socket, { pin, events: wall.events, colors: wall.colors });
  document.getElementById("wall-dock").hidden = false;
  call(socket, wall.events.join, { pin }).then((reply) => {
    if (reply.ok) box.update(reply);
  });
  return box;
}
