// Shared by the scenario pages (the host's console, the big screen, the phone): the host
// token, the act's timer on the server's clock, labels. Text is always inserted as text.
import { el, serverNow, syncClock } from "./live-common.js";

export const ACT_TYPES = {
  read: "阅读剧本", introduce: "自我介绍", search: "搜证", discuss: "讨论", checkpoint: "知识关卡",
  vote: "投票", reveal: "复盘",
};
// How a clue can be unlocked (the host's clue list) and how a group got it (the phone).
export const UNLOCKS = { act: "开幕发放", search: "搜证", prop: "道具卡", checkpoint: "关卡奖励", host: "主持人发放" };
export const HOWS = {
  act: "开幕发放", role: "角色专属", search: "搜证所得", prop: "扫码所得", checkpoint: "关卡奖励", host: "主持人发放",
};

/** The host token: from the URL fragment (#token=…), kept in this tab's sessionStorage so a
 * reload resumes; the fragment leaves the address bar (it never reaches the server log). */
export function hostToken(pin) {
  const key = `arena-scenario-host:${pin}`;
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    try { sessionStorage.setItem(key, fromHash); } catch (_e) { /* this page only */ }
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  try { return sessionStorage.getItem(key) || ""; } catch (_e) { return ""; }
}

/** "第 2 / 5 幕" */
export function actNumber(act, total) {
  return act ? `第 ${act.index + 1} / ${total} 幕` : `共 ${total} 幕`;
}

// -- the server's clock ------------------------------------------------------------------------
// The scenario payloads carry deadlines in server milliseconds but no server_ms. The clock
// is estimated twice: roughly from the HTTP Date header (whole seconds; used only when the
// clocks differ by more than that), and exactly whenever this page sees a timer start (an
// act entered: deadline - time_box; a resume: deadline - the remaining time it had).
let precise = false; // the offset came from a timer start
let rough = false; // the Date header was read

export async function roughClock() {
  try {
    const sent = Date.now();
    const response = await fetch(location.pathname, { method: "HEAD", cache: "no-store" });
    const received = Date.now();
    const date = Date.parse(response.headers.get("Date") || "");
    if (Number.isNaN(date) || precise) return;
    rough = true;
    const offset = date + 500 - (sent + received) / 2;
    if (Math.abs(offset) > 1500) syncClock({ server_ms: Date.now() + offset });
  } catch (_e) { /* the local clock it is */ }
}

/** The server's clock read off a timer that started just now; a start that the current
 * estimate puts more than a few seconds away was not just now (a reconnect saw it late). */
function exactly(serverMs) {
  if (Math.abs(serverMs - serverNow()) > 5000 && (precise || rough)) return;
  precise = true;
  syncClock({ server_ms: serverMs });
}

export function clockText(ms) {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** The act's time box in one element: m:ss counting down, 已暂停, 时间到; hidden without one. */
export class ActTimer {
  constructor(element) {
    this.element = element;
    this.ticker = null;
    this.last = null;
  }

  update(act, timer, running = true) {
    timer = timer || {};
    const last = this.last;
    if (last && typeof timer.deadline_ms === "number") {
      if (act && act.time_box && last.act !== act.index) exactly(timer.deadline_ms - act.time_box * 1000);
      else if (last.paused && !timer.paused && typeof last.remaining === "number") {
        exactly(timer.deadline_ms - last.remaining);
      }
    }
    this.last = { act: act ? act.index : -1, paused: Boolean(timer.paused), remaining: timer.remaining_ms };
    this.stop();
    const node = this.element;
    node.classList.remove("paused", "urgent", "over");
    const paused = timer.paused && typeof timer.remaining_ms === "number";
    if (!running || !act || (!paused && typeof timer.deadline_ms !== "number")) {
      node.hidden = true;
      node.textContent = "";
      return;
    }
    node.hidden = false;
    if (paused) {
      node.textContent = `已暂停 ${clockText(timer.remaining_ms)}`;
      node.classList.add("paused");
      return;
    }
    const cap = act.time_box ? act.time_box * 1000 : Infinity; // a clock behind the server's
    const tick = () => {
      const left = Math.min(cap, Math.max(0, timer.deadline_ms - serverNow()));
      node.textContent = left > 0 ? clockText(left) : "时间到";
      node.classList.toggle("urgent", left > 0 && left <= 60_000);
      node.classList.toggle("over", left <= 0);
      if (left <= 0) this.stop();
    };
    tick();
    this.ticker = setInterval(tick, 250);
  }

  stop() {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }
}

/** Shrink `box`'s text until its content fits; never below `min` % (the big screen). */
export function fit(box, min = 50) {
  if (!box || box.closest("[hidden]")) return;
  for (let size = 100; size >= min; size -= 5) {
    box.style.fontSize = `${size}%`; // CSSOM: allowed by the CSP
    if (box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1) return;
  }
}

/** A <dl>-like pair: a heading and a paragraph, both text. */
export function section(className, title, text, testid) {
  const box = el("section", className);
  box.append(el("h3", "", title));
  const body = el("p", "", text);
  if (testid) body.dataset.testid = testid;
  box.append(body);
  return box;
}
