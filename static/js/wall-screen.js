// The wall's full-screen page (/wall/<pin>/screen#token=…): the title, the join QR code and PIN
// in a corner, the overlay over the whole page and the pinned question. The host token travels
// in the fragment and is then kept in this tab's sessionStorage.
import { config, connect, errorMessage, notice } from "./live-common.js";
import { mountOverlay } from "./wall-overlay.js";
import { tokenFromHash } from "./wall-common.js";

const { pin, events: E } = config();
const token = tokenFromHash(`arena-wall-token:${pin}`);
const $ = (id) => document.getElementById(id);
const socket = connect();

function drawState(state) {
  const title = state.title || "弹幕墙";
  $("title").textContent = title;
  document.title = `${title} · 弹幕墙大屏`;
  let idle = "扫码发弹幕、提问和点赞";
  if (state.mode === "off") idle = "弹幕已关闭";
  else if (!state.overlay) idle = "弹幕暂不显示";
  $("idle").textContent = idle;
}

if (!token) {
  notice("缺少主持人凭证，请从弹幕墙管理页的“全屏大屏”链接打开。", true);
} else {
  mountOverlay(document.body, socket, {
    pin,
    token,
    events: E,
    area: { top: 0.14, bottom: 0.66 }, // below the title, above the QR code's corner
    onState: drawState,
    onError: (reply) => notice(errorMessage(reply), true),
  });
}

let offline = false;
socket.on("disconnect", () => {
  offline = true;
  notice("与服务器的连接中断，正在重连……", true);
});
socket.on("connect_error", () => {
  offline = true;
  notice("无法连接服务器，正在重试……", true);
});
socket.on("connect", () => {
  if (offline) notice(""); // only the "reconnecting" message, not a missing token's
  offline = false;
});
document.addEventListener("keydown", (event) => {
  if (event.repeat || event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.key === "f" || event.key === "F") {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  }
});
