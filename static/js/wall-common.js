// Shared by the danmaku wall's pages and widgets: the wall's event names and colours, the
// messages shown for the server's refusals, tokens and names kept in the browser.
// User text is always inserted with textContent.

// Accessible names of the palette (protocol.COLORS); an unknown colour is named by its place.
const COLOR_NAMES = {
  "#ffffff": "白色", "#ffd54f": "金色", "#ff8a80": "红色", "#80d8ff": "蓝色", "#b9f6ca": "绿色", "#ea80fc": "紫色",
};
export function colorName(color, index) {
  return COLOR_NAMES[String(color).toLowerCase()] || `颜色 ${index + 1}`;
}

/** The wall's event names and colours (app/danmaku/protocol.py): the wall's own pages carry
 *  them as data-events / data-colors, a game's pages as data-wall-events / data-wall-colors. */
export function wallConfig(app) {
  const data = app.dataset;
  const events = data.wallEvents || data.events;
  const colors = data.wallColors || data.colors || "[]";
  return { events: JSON.parse(events), colors: JSON.parse(colors) };
}

/** HH:MM of a server time (ms since the epoch), in this device's time zone. */
export function clock(ms) {
  const at = new Date(ms);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

/** What a phone shows for a refused message or question. */
export function refusal(reply) {
  const error = (reply && reply.error) || {};
  if (error.code === "rate_limited") {
    const seconds = Math.max(1, Math.ceil((Number(error.retry_ms) || 1000) / 1000));
    return `发得太快了，请 ${seconds} 秒后再发。`;
  }
  if (error.code === "muted" && Number(error.until_ms) > 0) {
    return `你已被主持人暂时禁言，${clock(Number(error.until_ms))} 后可以再发。`;
  }
  return error.message || "出错了，请稍后重试。";
}

/** Characters as the server counts them (code points, not UTF-16 units). */
export function length(text) {
  return [...text].length;
}

// localStorage and sessionStorage can throw (private mode, some in-app browsers): values then
// last as long as this page.
const memory = {};
export function stored(kind, key) {
  try {
    return window[kind].getItem(key) || memory[`${kind}:${key}`] || "";
  } catch (_e) {
    return memory[`${kind}:${key}`] || "";
  }
}
export function store(kind, key, value) {
  memory[`${kind}:${key}`] = value;
  try {
    if (value) window[kind].setItem(key, value);
    else window[kind].removeItem(key);
  } catch (_e) { /* kept in memory */ }
}

/** A host or moderator token: from the address's #token=… (then out of the address bar, kept in
 *  this tab's sessionStorage so a reload resumes), or what this tab kept. */
export function tokenFromHash(key) {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    store("sessionStorage", key, fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return stored("sessionStorage", key);
}
