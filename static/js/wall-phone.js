// The phone page of a standalone wall (/wall/<pin>): a nickname, then the danmaku box and the
// Q&A. The seat survives reloads through the signed rejoin token in localStorage.
import { call, config, connect, errorMessage, notice, show } from "./live-common.js";
import { mountSender } from "./wall-send.js";
import { store, stored } from "./wall-common.js";

const { app, pin, events: E } = config();
const colors = JSON.parse(app.dataset.colors || "[]");
const $ = (id) => document.getElementById(id);
const seatKey = `arena-wall:${pin}`;
const nicknameKey = "arena-wall-nickname";
const socket = connect();
let sender = null;

function missing(reply) {
  $("missing-text").textContent = errorMessage(reply);
  $("me").textContent = "";
  show("missing");
}

function seated(reply) {
  store("localStorage", seatKey, reply.rejoin_token);
  store("localStorage", nicknameKey, reply.nickname);
  $("me").textContent = reply.nickname;
  const title = (reply.wall && reply.wall.title) || "弹幕墙";
  $("wall-title").textContent = title;
  document.title = `${title} · 弹幕墙`;
  if (!sender) sender = mountSender($("sender"), socket, { pin, events: E, colors: (reply.wall && reply.wall.colors) || colors });
  sender.update({ wall: reply.wall, questions: reply.questions, pinned: reply.pinned });
  show("wall");
}

function askNickname() {
  const input = $("join-nickname");
  if (!input.value) input.value = stored("localStorage", nicknameKey);
  show("join");
}

async function rejoin() {
  const token = stored("localStorage", seatKey);
  if (!token) {
    askNickname();
    return;
  }
  const reply = await call(socket, E.join, { pin, rejoin_token: token });
  if (reply.ok) {
    seated(reply);
    return;
  }
  const code = reply.error && reply.error.code;
  if (code === "wall_not_found") {
    missing(reply);
    return;
  }
  if (code === "unavailable" || code === "rate_limited") {
    notice(errorMessage(reply));
    return;
  }
  store("localStorage", seatKey, ""); // the seat is gone (an expired wall's token): start again
  askNickname();
}

$("join-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const nickname = $("join-nickname").value.trim();
  if (!nickname) {
    notice("请填写昵称。");
    return;
  }
  $("join-button").disabled = true;
  const reply = await call(socket, E.join, { pin, nickname });
  $("join-button").disabled = false;
  if (!reply.ok) {
    if (reply.error && reply.error.code === "wall_not_found") missing(reply);
    else notice(errorMessage(reply));
    return;
  }
  notice("");
  seated(reply);
});

// Every (re)connect: back to the seat (the server knows a connection only after wall:join).
let offline = false;
socket.on("connect", () => {
  if (offline) notice("");
  offline = false;
  rejoin();
});
socket.on("disconnect", () => {
  offline = true;
  notice("网络中断，正在重连……", true);
});
socket.on("connect_error", () => {
  offline = true;
  notice("无法连接服务器，正在重试……", true);
});
