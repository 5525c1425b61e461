// The host's live draw on the big screen: pick a branch (or type a member's 工号), press
// the button or the space bar; the server records the draw, then the box opens.
import { notice, post, reveal } from "./box-common.js";

const app = document.getElementById("app");
const form = document.getElementById("live-form");
const branch = document.getElementById("live-branch");
const member = document.getElementById("live-member");
const holder = document.getElementById("holder");
const lid = document.getElementById("box-lid");
const target = document.getElementById("reveal");
let busy = false;

async function drawNow() {
  if (busy) return;
  busy = true;
  const memberNo = member.value.trim();
  const reply = await post(app.dataset.url, app.dataset.csrf, memberNo ? { member_no: memberNo } : { branch_id: branch.value });
  if (!reply.ok) {
    notice(reply.error.message);
    busy = false;
    return;
  }
  holder.textContent = "";
  await reveal(lid, target, [reply.draw.card]);
  holder.textContent = `${reply.draw.holder} 抽到了`;
  busy = false;
}

form.addEventListener("submit", (event) => { event.preventDefault(); drawNow(); });
document.addEventListener("keydown", (event) => {
  if (event.code === "Space" && event.target === document.body) { event.preventDefault(); drawNow(); }
});
form.querySelector("button[type=submit]").disabled = false; // the page renders it disabled until now

const last = JSON.parse(app.dataset.last);
if (last.card) {
  holder.textContent = `上一次：${last.holder} 抽到了`;
  reveal(lid, target, [last.card]);
}
