// The chat app's page script (loaded by assistant/app/ui.py into the page head; it loads
// nothing). Delegated listeners, so answers added later need no wiring:
// - citations: a tap opens the card first (touch screens have no hover), Escape closes it;
//   a marker without a web address jumps to its entry in the reference list;
// - "Copy answer" copies the answer's Markdown (hidden in the message), not its HTML;
// - the character counter under the question box;
// - after an answer, the view lands on its first line (window.assistantShowAnswer).
(() => {
  const LIMIT = __LIMIT__;
  const closeCards = (except) => {
    document.querySelectorAll(".cite.open").forEach((c) => { if (c !== except) c.classList.remove("open"); });
  };

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const marker = target.closest(".cite-n");
    if (marker) {
      const cite = marker.closest(".cite");
      const touch = window.matchMedia("(hover: none)").matches;
      if (touch && cite && !cite.classList.contains("open")) {
        event.preventDefault();
        closeCards(cite);
        cite.classList.add("open");
        return;
      }
      const href = marker.getAttribute("href") || "";
      if (href.startsWith("#")) {
        event.preventDefault();
        const answer = marker.closest(".answer");
        const entry = answer && answer.querySelector(`[id="${CSS.escape(href.slice(1))}"]`);
        if (entry) {
          for (let d = entry.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
          entry.scrollIntoView({ block: "center" });
          entry.classList.add("flash");
          setTimeout(() => entry.classList.remove("flash"), 1600);
        }
      }
      return;
    }
    if (!target.closest(".cite-card")) closeCards(null);
    const copy = target.closest(".copy-answer");
    if (copy) {
      const source = copy.closest(".answer").querySelector(".answer-markdown");
      const text = source ? source.textContent : "";
      const done = () => { copy.textContent = "Copied"; setTimeout(() => { copy.textContent = "Copy answer"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {  // plain HTTP off this machine: the older way
        const area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        document.execCommand("copy");
        area.remove();
        done();
      }
    }
  });

  // A card opens below its marker, or above it when the chat has no room below; it keeps
  // inside the chat horizontally.
  const placeCard = (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const cite = target && target.closest(".cite");
    const card = cite && cite.querySelector(".cite-card");
    if (!card) return;
    const marker = cite.getBoundingClientRect();
    let box = cite.parentElement;
    while (box && box !== document.body && getComputedStyle(box).overflowY === "visible") box = box.parentElement;
    const area = box ? box.getBoundingClientRect() : { top: 0, bottom: window.innerHeight, left: 0, right: window.innerWidth };
    const height = Math.min(card.scrollHeight || 288, 288);
    cite.classList.toggle("above", marker.bottom + height > area.bottom && marker.top - height > area.top);
    const width = Math.min(416, window.innerWidth * 0.8);
    cite.classList.toggle("leftward", marker.left + width > area.right);
  };
  document.addEventListener("mouseover", placeCard);
  document.addEventListener("focusin", placeCard);

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      closeCards(null);
      const focused = document.activeElement;
      if (focused && focused.closest && focused.closest(".cite")) focused.blur();
    }
  });

  // The counter: always visible; at the limit and beyond it says so (nothing is cut off).
  window.assistantCount = (text) => {
    const counter = document.getElementById("char-counter");
    if (!counter) return;
    const n = (text || "").length;
    const count = counter.querySelector(".count");
    const note = counter.querySelector(".limit-note");
    if (count) count.textContent = n.toLocaleString("en");
    counter.classList.toggle("at-limit", n === LIMIT);
    counter.classList.toggle("over", n > LIMIT);
    if (note) {
      note.textContent = n > LIMIT
        ? `${(n - LIMIT).toLocaleString("en")} over the limit: shorten the message to send it.`
        : n === LIMIT ? "At the limit." : "";
    }
  };

  // After an answer: show the question and the answer's first line, not the end of the answer.
  window.assistantShowAnswer = () => {
    const place = () => {
      const answers = document.querySelectorAll("#chat [data-testid=bot]");
      const questions = document.querySelectorAll("#chat [data-testid=user]");
      const answer = answers[answers.length - 1];
      if (!answer) return;
      const question = questions[questions.length - 1];
      const short = question && question.getBoundingClientRect().height < window.innerHeight * 0.2;
      (short ? question : answer).scrollIntoView({ block: "start" });
    };
    requestAnimationFrame(() => requestAnimationFrame(place));
  };

  // While an answer is being prepared: show the question and the note below it.
  window.assistantShowPending = () => {
    requestAnimationFrame(() => {
      const questions = document.querySelectorAll("#chat [data-testid=user]");
      const question = questions[questions.length - 1];
      if (question) question.scrollIntoView({ block: "start" });
    });
  };
})();
