"""The page's font, style and scripts, all served by the app itself.

The font: Gradio's default theme asks for Source Sans Pro at weights 400 and 600, and the
600 file it ships is a Cyrillic subset whose only ASCII letters are "A" and "B", so every
bold word was drawn in a fallback font except its capital A. `theme()` asks for 400 and 700,
the two complete files (Adobe's Source Sans Pro and IBM Plex Mono, SIL Open Font Licence
1.1, both shipped inside the gradio package): bold text of any weight is drawn from them.
"""

from __future__ import annotations

from typing import Any

FONT = "Source Sans Pro"
MONO = "IBM Plex Mono"
WEIGHTS = (400, 700)


def theme() -> Any:
    """Gradio's default theme with complete font files for every weight the page uses."""
    import gradio as gr

    local = gr.themes.LocalFont
    return gr.themes.Default(
        font=(local(FONT, weights=WEIGHTS), "ui-sans-serif", "system-ui", "sans-serif"),
        font_mono=(local(MONO, weights=WEIGHTS), "ui-monospace", "monospace"))


# Clicking a [n] marker highlights its quote and centres it in the article panel; an
# outline entry scrolls the panel to its block; "Copy as Markdown" copies the answer with
# its citations. One delegated listener, so answers added later need no wiring.
HEAD = """<script>
function ataScroller(el) {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) return p;
  }
  return null;
}
// Scroll the panel (never the page) so `el` sits in its middle, or near its top.
function ataReveal(el, centre) {
  const box = ataScroller(el);
  if (!box) return;
  const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
  const top = r.top - b.top + box.scrollTop;
  const target = centre ? top - (box.clientHeight - r.height) / 2 : top - 8;
  box.scrollTo({top: Math.max(0, target), behavior: "smooth"});
}
function ataShowPanel(el) {  // on a phone the panel is below the chat: bring it into view
  const r = document.getElementById("ata-article").getBoundingClientRect();
  if (r.top >= window.innerHeight || r.bottom <= 0) el.scrollIntoView({block: "center"});
}
function ataActivate(mark) {
  document.querySelectorAll("#ata-article .active").forEach((m) => m.classList.remove("active"));
  mark.classList.add("active");
  ataReveal(mark, true);
}
async function ataCopy(button) {
  const md = button.closest(".ata-answer").querySelector("pre.ata-md").textContent;
  try {
    await navigator.clipboard.writeText(md);
  } catch (err) {  // no clipboard permission: copy through a selection instead
    const area = document.createElement("textarea");
    area.value = md;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy as Markdown"; }, 2000);
}
document.addEventListener("click", (ev) => {
  const copy = ev.target.closest("button.ata-copy");
  if (copy) { ev.preventDefault(); ataCopy(copy); return; }
  const link = ev.target.closest("a.ata-cite, a.ata-go");
  if (!link) return;
  ev.preventDefault();
  const el = document.getElementById(link.getAttribute("href").slice(1));
  if (!el) return;
  if (link.classList.contains("ata-go")) {
    document.querySelectorAll("#ata-article .active").forEach((m) => m.classList.remove("active"));
    el.classList.add("active");
    ataReveal(el, false);
  } else {
    ataActivate(el);
  }
  ataShowPanel(el);
});
</script>"""

# After an answer: highlight its first quote in the panel and centre it there.
SHOW_FIRST_QUOTE = """() => {
  const m = document.querySelector("#ata-article mark.ata-q:not(.ata-earlier)");
  if (m) ataActivate(m);
}"""

# Outline buttons send their question to the server as the outline's "click" event.
OUTLINE_JS = """element.addEventListener("click", (ev) => {
  const b = ev.target.closest("button.ata-ask-about");
  if (b) trigger("click", {question: b.value});
});"""

CSS = """
#ata-main { align-items: stretch; }
#ata-article-col, #ata-outline-col { position: relative; min-height: 480px; }
#ata-article, #ata-outline { position: absolute; inset: 0; overflow-y: auto !important; }
#ata-article { line-height: 1.6; }
#ata-article h1 { font-size: 1.35em; }
#ata-article h2 { font-size: 1.1em; margin-top: 1.2em; }
#ata-article .active:not(mark) { background: #fff8d6; transition: background .6s; }
#ata-article p:has(mark.active), #ata-article li:has(mark.active) {
  border-left: 3px solid #e0a000; padding-left: .6em; }
mark.ata-q { background: #fff1a8; padding: 0 .1em; }
mark.ata-q.active { background: #ffc94d; outline: 2px solid #e0a000; }
mark.ata-q.ata-earlier:not(.active) { background: none; color: inherit; padding: 0; }
mark.ata-q sup { color: #805b00; font-weight: 700; }
.ata-byline { font-style: italic; }
.ata-answer blockquote.ata-quote { margin: .4em 0 .6em; padding: .3em .8em;
  border-left: 3px solid #e0a000; background: rgba(255, 241, 168, .25); }
.ata-answer blockquote.ata-quote p { margin: 0; }
.ata-answer blockquote.ata-quote footer { font-size: .85em; opacity: .85; margin-top: .2em; }
.ata-answer ul.ata-points, .ata-answer ol.ata-points { margin: .3em 0; padding-left: 1.2em; }
.ata-answer .ata-label { font-weight: 700; margin: .6em 0 .2em; }
.ata-answer pre.ata-md { display: none !important; }
.ata-answer .ata-tools { font-size: .85em; margin-top: .6em; }
.ata-answer button.ata-copy { border: 1px solid #bbb; border-radius: 4px; padding: 0 .5em;
  cursor: pointer; }
.ata-outline { font-size: .92em; line-height: 1.4; }
.ata-outline ul { list-style: none; padding-left: 0; margin: .2em 0; }
.ata-outline ul.ata-o-items { padding-left: 1em; font-size: .92em; }
.ata-outline li { margin: .3em 0; }
.ata-outline a.ata-go { color: inherit; text-decoration: none; }
.ata-outline a.ata-go:hover { text-decoration: underline; }
.ata-outline .ata-o-head { font-size: .85em; text-transform: uppercase; letter-spacing: .05em;
  opacity: .7; margin: 0 0 .3em; }
.ata-outline .ata-o-title { font-weight: 700; margin: 0 0 .4em; }
.ata-outline .ata-o-sections > li > a { font-weight: 700; }
.ata-outline button.ata-ask-about { font-size: .8em; font-weight: 400; border: 1px solid #bbb;
  border-radius: 4px; padding: 0 .4em; margin-left: .2em; cursor: pointer; }
@media (max-width: 760px) {
  #ata-main { flex-direction: column; flex-wrap: nowrap; }
  #ata-main > .column { width: 100%; min-width: 0 !important; }
  #ata-chat-col { order: 1; } #ata-outline-col { order: 2; } #ata-article-col { order: 3; }
  #ata-article-col, #ata-outline-col { min-height: 0; }
  #ata-article, #ata-outline { position: static; }
  #ata-article { max-height: 75vh; } #ata-outline { max-height: 40vh; }
}
"""
