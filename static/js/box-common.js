// Shared by the member's 我的盲盒 page and the host's live draw: posting to the server and
// drawing a card. Text is always inserted with textContent, never as HTML.

const PROOFS = { none: "无需凭证", text: "文字说明", photo: "照片" };
const RARITY_CLASSES = { 普通: "common", 稀有: "rare", 隐藏: "hidden" };

/** POST JSON with the page's CSRF token; a network fault reads as "unavailable". */
export async function post(url, csrf, body = {}) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    return await response.json();
  } catch {
    return { ok: false, error: { code: "unavailable", message: "网络不稳定，请稍后重试。" } };
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One card as the page shows it (the same markup as templates/boxes/_card.html). */
export function cardElement(card) {
  const article = element("article", `card rarity-${RARITY_CLASSES[card.rarity] || "common"}`);
  article.dataset.cardId = card.id;
  const top = element("p", "card-top");
  top.append(element("span", "tag", card.category), element("span", "rarity", card.rarity));
  article.append(top, element("h3", "card-title", card.title));
  if (card.description) article.append(element("p", "card-text", card.description));
  const foot = element("p", "card-foot");
  foot.append(element("strong", "", card.points_text), ` · 凭证：${PROOFS[card.proof] || ""}`);
  article.append(foot);
  return article;
}

/** The box opens: shake, burst, then the cards flip in one after another. */
export function reveal(lid, target, cards, onCard) {
  target.replaceChildren();
  lid.hidden = false;
  lid.classList.remove("open");
  void lid.offsetWidth; // restart the animation
  lid.classList.add("open");
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const delay = reduce ? 0 : 900;
  return new Promise((resolve) => {
    setTimeout(() => {
      lid.hidden = true; // opened: the cards take its place
      cards.forEach((card, index) => {
        const node = cardElement(card);
        node.style.animationDelay = `${reduce ? 0 : index * 180}ms`;
        node.classList.add("flip-in");
        if (onCard) onCard(node, card);
        target.append(node);
      });
      resolve();
    }, delay);
  });
}

export function notice(message) {
  const box = document.getElementById("notice");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => { box.hidden = true; }, 6000);
}
