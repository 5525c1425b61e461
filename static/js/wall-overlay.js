// The danmaku overlay: comments fly right to left over a page (the wall's own screen, the quiz
// host's big screen). It joins the wall's screen room with the host token and draws only what
// the server sends there; text is always inserted with textContent.
//
// Lanes without overlap: a comment takes the highest lane whose last comment is fully on screen
// (with a gap) and will not be caught up before it leaves. Longer comments fly faster, so each
// crosses in 7-10 s. At most `cap` comments fly at once (two per lane); up to QUEUE_LIMIT wait
// their turn, and what comes while that queue is full is dropped and counted (已暂缓 N 条).
import { call, el } from "./live-common.js";

const QUEUE_LIMIT = 30;
const PER_LANE = 2;
const SLOWEST_MS = 10_000; // the shortest comment's crossing
const FASTEST_MS = 7_000; // a 40-character comment's crossing
const TEXT_LIMIT = 40;
const SEEN_LIMIT = 2000;
const HELD_NOTE_MS = 8000; // the 已暂缓 note stays this long after the queue has drained
const RETRY_MS = 120;

/**
 * @param {HTMLElement} container the element to cover (document.body: the whole viewport)
 * @param {object} socket a connected or connecting Socket.IO client
 * @param {{pin: string, token: string, events: object, area?: {top: number, bottom: number},
 *          onState?: Function, onError?: Function}} options `area`: the band of the lanes, as
 *          fractions of the height; `onState(state)` after each wall:state; `onError(reply)` when
 *          the screen cannot join.
 */
export function mountOverlay(container, socket, options) {
  const { pin, token, events: E, onState, onError } = options;
  const area = options.area || { top: 0.09, bottom: 0.78 };

  const root = el("div", "wall-overlay");
  root.dataset.testid = "wall-overlay";
  if (container === document.body) root.classList.add("fixed");
  else if (getComputedStyle(container).position === "static") container.style.position = "relative";
  const track = el("div", "wall-track");
  track.setAttribute("aria-hidden", "true"); // flying text is decoration for a screen reader
  const measure = el("span", "danmaku measure");
  track.append(measure);
  const pinned = el("div", "wall-pinned");
  pinned.dataset.testid = "pinned-question";
  pinned.hidden = true;
  const pinnedText = el("p", "wall-pinned-text");
  const pinnedMeta = el("p", "wall-pinned-meta");
  pinned.append(el("p", "wall-pinned-label", "置顶提问"), pinnedText, pinnedMeta);
  const pausedBadge = el("p", "wall-badge", "弹幕已暂停");
  pausedBadge.dataset.testid = "wall-paused";
  pausedBadge.hidden = true;
  const held = el("p", "wall-badge");
  held.dataset.testid = "held-back";
  held.hidden = true;
  const badges = el("div", "wall-badges");
  badges.append(pausedBadge, held);
  root.append(track, pinned, badges);
  container.append(root);

  let state = { overlay: true, paused: false, mode: "auto", title: "" };
  let width = 0;
  let laneTop = 0;
  let laneHeight = 0;
  let gap = 0;
  let cap = PER_LANE;
  let lanes = []; // lane → the last comment launched in it (or undefined)
  const flying = new Map(); // id → {id, node, animation, lane, startX, width, speed}
  const queue = []; // {id, text, color, width?}
  // Every id ever queued, shown or removed: a host console is in the screen and the moderator
  // rooms and so gets each message twice; a reconnect's catch-up repeats what was seen.
  const seen = new Set();
  let heldBack = 0;
  let heldTimer = null;
  let pumpTimer = null;
  let joinedOnce = false;

  function layout() {
    width = root.clientWidth;
    const height = root.clientHeight;
    const font = parseFloat(getComputedStyle(track).fontSize) || 32;
    laneHeight = Math.ceil(font * 1.5);
    gap = Math.ceil(font);
    laneTop = Math.round(height * area.top);
    const count = Math.max(1, Math.floor((height * (area.bottom - area.top)) / laneHeight));
    lanes.length = count; // new lanes are free; lanes that no longer fit are forgotten
    cap = count * PER_LANE;
    root.dataset.lanes = String(count);
    root.dataset.cap = String(cap);
  }

  function remember(id) {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
  }

  /** May a comment of `speed` (px/ms) start now in the lane whose last comment is `last`? */
  function fits(last, speed) {
    if (!last || !flying.has(last.id)) return true;
    const travelled = last.speed * (Number(last.animation.currentTime) || 0);
    const tail = last.startX + last.width - travelled; // the right edge of the comment ahead
    if (tail <= 0) return true; // it has left
    if (tail > width - gap) return false; // not fully on screen yet, with a gap behind it
    if (speed <= last.speed) return true; // never catches up
    const leavesIn = tail / last.speed; // ms until the comment ahead has left
    return width - speed * leavesIn >= gap; // where the new comment's head is by then
  }

  function launch(item) {
    if (!width) layout();
    if (item.width === undefined) {
      measure.textContent = item.text;
      item.width = Math.ceil(measure.getBoundingClientRect().width);
      measure.textContent = "";
    }
    const share = Math.min(1, [...item.text].length / TEXT_LIMIT);
    const duration = SLOWEST_MS - (SLOWEST_MS - FASTEST_MS) * share;
    const startX = width;
    const speed = (startX + item.width) / duration;
    let lane = -1;
    for (let i = 0; i < lanes.length; i += 1) {
      if (fits(lanes[i], speed)) {
        lane = i;
        break;
      }
    }
    if (lane < 0) return false;
    const node = el("span", "danmaku", item.text);
    node.dataset.testid = "danmaku";
    node.dataset.id = item.id;
    node.dataset.lane = String(lane);
    node.style.color = item.color || "#ffffff"; // CSSOM: allowed by the CSP; a bad value is ignored
    node.style.top = `${laneTop + lane * laneHeight}px`;
    node.style.transform = `translateX(${startX}px)`;
    track.append(node);
    const animation = node.animate(
      [{ transform: `translateX(${startX}px)` }, { transform: `translateX(${-item.width}px)` }],
      { duration, easing: "linear", fill: "forwards" },
    );
    const comment = { id: item.id, node, animation, lane, startX, width: item.width, speed };
    lanes[lane] = comment;
    flying.set(item.id, comment);
    animation.finished.then(() => land(comment), () => {}); // cancel() rejects: already gone
    return true;
  }

  function drop(comment) {
    comment.node.remove();
    flying.delete(comment.id);
    if (lanes[comment.lane] === comment) lanes[comment.lane] = undefined;
  }

  function land(comment) {
    drop(comment);
    pump();
  }

  function pump() {
    if (pumpTimer) clearTimeout(pumpTimer);
    pumpTimer = null;
    while (queue.length && flying.size < cap && !root.hidden) {
      if (!launch(queue[0])) break;
      queue.shift();
    }
    if (queue.length) pumpTimer = setTimeout(pump, RETRY_MS);
    else settleHeld();
  }

  function holdBack() {
    heldBack += 1;
    held.textContent = `已暂缓 ${heldBack} 条`;
    held.hidden = false;
    if (heldTimer) clearTimeout(heldTimer);
    heldTimer = null;
  }

  function settleHeld() {
    if (!heldBack || heldTimer) return;
    heldTimer = setTimeout(() => {
      heldTimer = null;
      heldBack = 0;
      held.hidden = true;
    }, HELD_NOTE_MS);
  }

  function arrive(message) {
    if (!message || message.id === undefined) return;
    const id = String(message.id);
    if (seen.has(id)) return;
    remember(id);
    if (!state.overlay) return; // a hidden overlay keeps no backlog to pour out later
    if (queue.length >= QUEUE_LIMIT) {
      holdBack();
      return;
    }
    queue.push({ id, text: String(message.text ?? ""), color: message.color });
    pump();
  }

  function removeMessage(data) {
    const id = String(data && data.id);
    remember(id);
    const index = queue.findIndex((item) => item.id === id);
    if (index >= 0) queue.splice(index, 1);
    const comment = flying.get(id);
    if (comment) {
      comment.animation.cancel();
      drop(comment);
      pump();
    }
  }

  function clearAll() {
    for (const comment of [...flying.values()]) {
      comment.animation.cancel();
      drop(comment);
    }
    queue.length = 0;
    lanes = new Array(lanes.length);
    if (heldTimer) clearTimeout(heldTimer);
    heldTimer = null;
    heldBack = 0;
    held.hidden = true;
  }

  function applyState(next) {
    if (!next) return;
    const wasHidden = root.hidden;
    state = { ...state, ...next };
    root.hidden = !state.overlay;
    if (root.hidden) clearAll();
    else if (wasHidden) layout(); // nothing could be measured while hidden
    pausedBadge.hidden = !state.paused;
    if (onState) onState({ ...state });
  }

  function drawQuestions(payload) {
    const question = payload && payload.pinned;
    // A host console also gets the moderators' copy, where the pinned question may be answered.
    if (!question || (question.state && question.state !== "open")) {
      pinned.hidden = true;
      return;
    }
    pinnedText.textContent = question.text;
    pinnedMeta.textContent = `${question.nickname || "匿名"} · ${question.votes || 0} 赞`;
    pinned.hidden = false;
  }

  async function join() {
    const reply = await call(socket, E.screen_join, { pin, token });
    if (!reply || !reply.ok) {
      if (onError) onError(reply);
      return;
    }
    applyState(reply.state);
    drawQuestions(reply);
    const shown = [...(reply.shown || [])].reverse(); // oldest first
    // What was on the wall before this screen opened stays history; after a reconnect, what
    // came while offline still flies.
    if (joinedOnce) shown.forEach(arrive);
    else shown.forEach((message) => remember(String(message.id)));
    joinedOnce = true;
  }

  const handlers = [
    [E.message, arrive], // a comment for the screens (room wall:<pin>:screen)
    [E.removed, removeMessage], // a moderator took one off
    [E.state, applyState], // mode, paused, overlay
    [E.questions, drawQuestions], // the open questions and the pinned one
    ["connect", join], // every (re)connect joins the screen room again
  ];
  for (const [event, handler] of handlers) socket.on(event, handler);
  const onResize = () => layout();
  window.addEventListener("resize", onResize);
  layout();
  if (socket.connected) join();

  return {
    element: root,
    get state() {
      return { ...state };
    },
    destroy() {
      for (const [event, handler] of handlers) socket.off(event, handler);
      window.removeEventListener("resize", onResize);
      clearAll();
      if (pumpTimer) clearTimeout(pumpTimer);
      root.remove();
    },
  };
}
