"""An answer laid out as a reader expects: its framing line, then each quote as a block
quote with its `[n]` and section; list answers as lists. The same layout as Markdown, to
copy with its citations.

The answer's text (from `assistant.answering.compose` or a model) marks quotes as “exact quote” [n];
where the quoted words are exactly the citation's text (`article.text[start:end]`) the quote
becomes a block quote. Citations the text only refers to by number (a paraphrase) are shown
as block quotes after it, so every quote stays visible word for word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import quote as url_quote

from assistant.citations import MARKER, marker
from assistant.types import Answer, Citation
from webui.article import quote_id

# Every character HTML or Markdown gives a meaning to, as a numeric entity: inert in both.
_INERT = {ord(ch): f"&#{ord(ch)};" for ch in "&<>\"'\\`*_{}[]()#+-.!|~=$:\n"}
_BULLET = re.compile(r"\s*(?:([-*•])|\d{1,2}[.)])\s+")


def as_text(text: str) -> str:
    """User or article text made inert for the chat's Markdown+HTML renderer (one line)."""
    return text.translate(_INERT)


@dataclass(frozen=True, slots=True)
class Piece:
    """The answer's own words (`cite` None), or one quote it cites word for word."""

    text: str
    cite: Citation | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the answer: a paragraph, or a list item ("ul"/"ol")."""

    pieces: tuple[Piece, ...]
    bullet: str = ""


def layout(answer: Answer) -> tuple[list[Line], list[Citation]]:
    """The answer's lines split into words and verbatim quotes, and the citations no line
    quotes verbatim (shown after the answer)."""
    quoted = {f"“{c.quote}”{marker(c.id)}": c for c in answer.citations}
    pattern = re.compile("|".join(re.escape(q) for q in sorted(quoted, key=len, reverse=True)))
    lines: list[Line] = []
    shown: set[int] = set()
    for raw in answer.answer.split("\n"):
        if not raw.strip():
            continue
        bullet = _BULLET.match(raw)
        text = raw[bullet.end():] if bullet else raw
        pieces: list[Piece] = []
        pos = 0
        for match in pattern.finditer(text) if quoted else ():
            if before := text[pos:match.start()].strip():
                pieces.append(Piece(before))
            cite = quoted[match.group()]
            pieces.append(Piece(cite.quote, cite))
            shown.add(cite.id)
            pos = match.end()
        if rest := text[pos:].strip():
            pieces.append(Piece(rest))
        kind = ("ul" if bullet.group(1) else "ol") if bullet else ""
        lines.append(Line(tuple(pieces), kind))
    return lines, [c for c in answer.citations if c.id not in shown]


def render_partial(text: str) -> str:
    """An answer still being written: its lines, inert, markers hidden until it is done."""
    return "<br>".join(as_text(line) for line in MARKER.sub("", text).split("\n"))


def cite_link(c: Citation) -> str:
    return f'<a class="ata-cite" href="#{quote_id(c)}">[{c.id}]</a>'


def render_answer(answer: Answer, titles: Mapping[str, str] | None = None) -> str:
    """The answer as chat HTML: framing, block quotes, lists; then copy and link tools.
    `titles` names the articles other than the one shown by default."""
    titles = titles or {}
    if answer.refused:
        return f'<div class="ata-answer ata-refusal"><p><em>{as_text(answer.answer)}</em></p></div>'
    lines, unquoted = layout(answer)
    by_id = {c.id: c for c in answer.citations}
    out: list[str] = ['<div class="ata-answer">']
    open_list = ""
    for line in lines:
        if line.bullet != open_list:
            out.append(f"</{open_list}>" if open_list else "")
            out.append(f'<{line.bullet} class="ata-points">' if line.bullet else "")
            open_list = line.bullet
        inner = "".join(_quotes_html([p.cite for p in run if p.cite], titles) if quoted
                        else "".join(f"<p>{_prose(p.text, by_id)}</p>" for p in run)
                        for quoted, run in groupby(line.pieces, lambda p: p.cite is not None))
        out.append(f"<li>{inner}</li>" if line.bullet else inner)
    out.append(f"</{open_list}>" if open_list else "")
    if unquoted:
        out.append('<div class="ata-sources"><p class="ata-label">Quoted from the article</p>'
                   + "".join(_quotes_html([c], titles) for c in unquoted) + "</div>")
    link = "?q=" + url_quote(answer.question, safe="")
    out.append('<p class="ata-tools"><button type="button" class="ata-copy">Copy as Markdown'
               f'</button> <a class="ata-link" href="{link}">Link to this question</a></p>'
               f'<pre class="ata-md" hidden>{as_text(answer_markdown(answer, titles))}</pre>'
               "</div>")
    return "".join(out)


def _prose(text: str, by_id: Mapping[int, Citation]) -> str:
    """The answer's own words, inert, with each [n] marker a link to its quote."""
    body = as_text(MARKER.sub(lambda m: f"\x00{m.group(1)}\x01", text))

    def link(m: re.Match[str]) -> str:
        c = by_id.get(int(m.group(1)))
        return f" {cite_link(c)}" if c is not None else f" [{m.group(1)}]"

    return re.sub(r"\x00(\d+)\x01", link, body)


def _quotes_html(cites: Sequence[Citation], titles: Mapping[str, str]) -> str:
    """Quotes one after another in the answer as one block quote: each quote exactly, with
    its [n]; their section (and article, if not the main one) once below."""
    quotes = " ".join(f'<span class="ata-qt">{as_text(c.quote)}</span> {cite_link(c)}'
                      for c in cites)
    where = dict.fromkeys([f"<i>{as_text(titles[c.article])}</i>" for c in cites
                           if c.article in titles] +
                          [f"<cite>{as_text(c.section)}</cite>" for c in cites if c.section])
    footer = f"<footer>{' · '.join(where)}</footer>" if where else ""
    return f'<blockquote class="ata-quote"><p>{quotes}</p>{footer}</blockquote>'


def answer_markdown(answer: Answer, titles: Mapping[str, str] | None = None) -> str:
    """The answer in Markdown with every quote exactly as in the article, its section and
    its character offsets, laid out as on screen."""
    titles = titles or {}
    blocks = [f"**Q:** {answer.question}"]
    if answer.refused:
        return "\n\n".join([*blocks, answer.answer]) + "\n"
    lines, unquoted = layout(answer)
    items: list[str] = []
    for i, line in enumerate(lines):
        parts = [_quote_md(p.cite, titles) if p.cite else p.text for p in line.pieces]
        if not line.bullet:
            blocks += parts
            continue
        first = "- " if line.bullet == "ul" else f"{len(items) + 1}. "
        pad = " " * len(first)
        items.append(first + "\n\n".join(parts).replace("\n", "\n" + pad).replace(
            "\n" + pad + "\n", "\n\n"))
        if i + 1 == len(lines) or lines[i + 1].bullet != line.bullet:
            blocks.append("\n".join(items))
            items = []
    blocks += [_quote_md(c, titles) for c in unquoted]
    return "\n\n".join(blocks) + "\n"


def _quote_md(c: Citation, titles: Mapping[str, str]) -> str:
    where = [f"*{c.section}*"] if c.section else []
    where += [f"characters {c.start}–{c.end}"]
    where += [f"of “{titles[c.article]}”"] if c.article in titles else []
    return f"> {c.quote}\n>\n> — [{c.id}] {', '.join(where)}"
