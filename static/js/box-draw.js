// 我的盲盒: open a box (the draw is recorded on the server before it is shown), choose one
// of three when the deck offers three, then go to the task to hand in proof.
import { notice, post, reveal } from "./box-common.js";

const app = document.getElementById("box-app");
const csrf = app.dataset.csrf;
const stage = document.getElementById("stage");
const lid = document.getElementById("box-lid");
const offer = document.getElementById("offer");
const hint = document.getElementById("stage-hint");

async function show(draw, chooseUrl) {
  stage.hidden = false;
  stage.scrollIntoView({ behavior: "smooth", block: "start" });
  if (draw.status === "offered") {
    hint.textContent = "三选一：点一张卡片领取任务，另外两张放回盲盒。";
    await reveal(lid, offer, draw.offered, (node, card) => {
      node.tabIndex = 0;
      node.setAttribute("role", "button");
      node.dataset.testid = `choose-${card.id}`;
      const pick = () => choose(chooseUrl, card.id);
      node.addEventListener("click", pick);
      node.addEventListener("keydown", (event) => { if (event.key === "Enter") pick(); });
    });
  } else {
    hint.textContent = "抽到了！完成后在任务页提交凭证。";
    await reveal(lid, offer, [draw.card]);
    offer.append(taskLink(draw));
  }
}

function taskLink(draw) {
  const link = document.createElement("a");
  link.className = "primary button-link";
  link.href = draw.task_url;
  link.textContent = "去完成这个任务";
  link.dataset.testid = "go-task";
  return link;
}

/** What is left today and this week, as the server counted it after this draw. */
function showAllowance(button, left) {
  const line = button.parentElement.querySelector(".allowance");
  const text = (n) => (n === null ? "不限" : String(n));
  line.textContent = `今天还可以抽 ${text(left.today)} 次，本周还可以抽 ${text(left.week)} 次${line.dataset.offer === "3" ? "；每次三选一" : ""}。`;
  button.disabled = left.today === 0 || left.week === 0;
}

async function choose(url, cardId) {
  const reply = await post(url, csrf, { card_id: cardId });
  if (!reply.ok) { notice(reply.error.message); return; }
  window.location.href = reply.draw.task_url;
}

for (const button of document.querySelectorAll(".open-box")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    const reply = await post(button.dataset.url, csrf);
    if (!reply.ok) {
      notice(reply.error.message);
      button.disabled = reply.error.code.startsWith("limit_");
      return;
    }
    showAllowance(button, reply.allowance);
    const chooseUrl = `/me/api/draws/${reply.draw.id}/choose`;
    await show(reply.draw, chooseUrl);
  });
  button.disabled = "exhausted" in button.dataset; // the page renders it disabled until now
}

// An offer drawn before a reload is shown again, not drawn again.
const waiting = document.querySelector(".waiting");
if (waiting) show(JSON.parse(waiting.dataset.draw), waiting.dataset.chooseUrl);
