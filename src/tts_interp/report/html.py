"""HTML building blocks of the static report: escaped text, tables (sortable), key-value lists, figures, audio.

Everything is a plain string of HTML; the page carries its own CSS and a few lines of JS (table sorting),
so it opens from disk with no server and no network.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:96vw;
 padding:0 1rem;color:#1d2330;background:#fbfbfd}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #d9dce3;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-top:1.2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem;display:block;overflow-x:auto;max-width:100%}
td{overflow-wrap:break-word}
th,td{border:1px solid #d9dce3;padding:.25rem .5rem;text-align:left;vertical-align:middle}
th{background:#eef0f5}table.sortable th{cursor:pointer;user-select:none}
table.sortable th[data-dir=asc]::after{content:" \\25B2"}table.sortable th[data-dir=desc]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ci{color:#667;font-size:.78rem}.note{color:#556;font-size:.85rem}
.warn{background:#fff4d6;border:1px solid #e8c65a;padding:.4rem .7rem;border-radius:4px}
figure{margin:.5rem 0 1rem}figure img{max-width:100%;border:1px solid #d9dce3;background:white}
figcaption{font-size:.8rem;color:#556}audio{height:2rem;width:12rem;vertical-align:middle}
.clips{display:flex;gap:.4rem;flex-wrap:wrap;align-items:center;min-width:25rem}.clip{font-size:.75rem;color:#556}
figure.key img{width:100%;max-width:52rem}.scroll{overflow-x:auto;max-width:100%}
audio.small{width:10rem;height:1.9rem}.cell .score{font-size:.72rem;color:#445;font-variant-numeric:tabular-nums}
.answer{background:#fff;border:1px solid #d9dce3;border-radius:6px;padding:.2rem 1rem .6rem}
@media (max-width:700px){.clips{min-width:0}body{margin:.5rem auto;padding:0 .4rem}h1{font-size:1.15rem}table{font-size:.75rem}}
details{margin:.5rem 0}summary{cursor:pointer;color:#335}pre{font-size:.75rem;overflow-x:auto;background:#f1f2f6;
 padding:.5rem}
"""

SORT_JS = """
function sortTable(th){
  const table=th.closest('table'), body=table.tBodies[0], col=Array.from(th.parentNode.children).indexOf(th);
  const dir=th.dataset.dir==='asc'?'desc':'asc';
  table.querySelectorAll('th').forEach(h=>delete h.dataset.dir); th.dataset.dir=dir;
  const key=r=>{const c=r.children[col]; const v=c?c.dataset.v:undefined;
    return v===undefined||v===''?null:(isNaN(Number(v))?v:Number(v));};
  const rows=Array.from(body.rows);
  rows.sort((a,b)=>{const x=key(a),y=key(b); if(x===null&&y===null)return 0; if(x===null)return 1;
    if(y===null)return -1; const c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));
    return dir==='asc'?c:-c;});
  rows.forEach(r=>body.appendChild(r));
}
document.querySelectorAll('table.sortable th').forEach(th=>th.addEventListener('click',()=>sortTable(th)));
"""


def esc(value: Any) -> str:
    """Text as safe HTML."""
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    """A short human form of a value: floats to `digits` significant digits, None as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:.{digits}g}"
    return str(value)


def sort_key(value: Any) -> str:
    """The value a table cell sorts by (numbers as numbers, missing as empty)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


class Cell:
    """A table cell whose HTML (e.g. an audio player or 'value [CI]') differs from the value it sorts by."""

    def __init__(self, html_text: str, sort_value: Any = None, numeric: bool = False):
        self.html, self.sort_value, self.numeric = html_text, sort_value, numeric


def stat_cell(stat: Mapping[str, Any] | None) -> Cell:
    """A `{n, value, ci95}` summary as 'value [low, high] (n=N)', sorting by value."""
    if not stat or stat.get("value") is None:
        n = (stat or {}).get("n", 0)
        return Cell(f"– <span class=ci>(n={esc(n)})</span>", None, True)
    ci = stat.get("ci95")
    ci_text = f" [{fmt(ci[0], 3)}, {fmt(ci[1], 3)}]" if ci else " (no CI)"
    return Cell(f"{fmt(stat['value'])}<span class=ci>{esc(ci_text)} n={esc(stat.get('n'))}</span>",
                stat["value"], True)


def _td(value: Any) -> str:
    if isinstance(value, Cell):
        cls = " class=num" if value.numeric else ""
        return f"<td{cls} data-v=\"{esc(sort_key(value.sort_value))}\">{value.html}</td>"
    cls = " class=num" if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
    return f"<td{cls} data-v=\"{esc(sort_key(value))}\">{esc(fmt(value))}</td>"


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, sortable: bool = True,
          caption: str | None = None) -> str:
    """A table; with `sortable`, clicking a header sorts the rows by that column (numbers numerically)."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    cap = f"<caption class=note>{esc(caption)}</caption>" if caption else ""
    cls = " class=sortable" if sortable else ""
    return f"<table{cls}>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(pairs: Mapping[str, Any]) -> str:
    """A two-column table of settings; nested values are shown as compact JSON-like text."""
    rows = []
    for key, value in pairs.items():
        text = value if isinstance(value, str) else _compact(value)
        rows.append(f"<tr><th>{esc(key)}</th><td>{esc(text)}</td></tr>")
    return f"<table><tbody>{''.join(rows)}</tbody></table>"


def _compact(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return fmt(value)


def figure(png: Path, caption: str) -> str:
    """A PNG file embedded as base64 (the page stays one file)."""
    return figure_png(Path(png).read_bytes(), caption)


def figure_png(png: bytes, caption: str, key: bool = False) -> str:
    """PNG bytes embedded as base64; `key` marks the figure that answers the page's question."""
    data = base64.b64encode(png).decode("ascii")
    cls = " class=key" if key else ""
    return (f"<figure{cls}><img alt=\"{esc(caption)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def audio_src(path: Path, page_dir: Path, embed_below: int) -> str:
    """The src of an audio file: embedded as base64 when smaller than `embed_below` bytes, else relative."""
    path = Path(path)
    if embed_below > 0 and path.stat().st_size < embed_below:
        mime = {".flac": "audio/flac", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}.get(path.suffix, "audio/wav")
        return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return Path(_relative(path, page_dir)).as_posix()


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(Path(path).resolve(), Path(start).resolve())


def audio(src: str, label: str) -> str:
    """An audio player with a small label above it."""
    return (f"<span class=clip><span>{esc(label)}</span><br><audio controls preload=metadata "
            f"src=\"{esc(src)}\"></audio></span>")


def small_audio(src: str, caption: str) -> str:
    """A compact player with its score line under it (one cell of a listening grid)."""
    return (f"<div class=cell><audio class=small controls preload=metadata src=\"{esc(src)}\"></audio>"
            f"<div class=score>{esc(caption)}</div></div>")


def scroll(body: str) -> str:
    """A wide table in a box that scrolls sideways on a narrow screen instead of widening the page."""
    return f"<div class=scroll>{body}</div>"


def section(title: str, *parts: str, answer: bool = False) -> str:
    """A titled part of the page; `answer` styles the one that answers the experiment's question."""
    cls = " class=answer" if answer else ""
    return f"<section{cls}><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def note(text: str, warn: bool = False) -> str:
    return f"<p class={'warn' if warn else 'note'}>{esc(text)}</p>"


def details(summary: str, body: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{body}</details>"


def page(title: str, body: str) -> str:
    """The whole document: inline CSS and the sort script, nothing fetched."""
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
            f"<meta name=viewport content=\"width=device-width,initial-scale=1\"><style>{CSS}</style></head>"
            f"<body><h1>{esc(title)}</h1>{body}<script>{SORT_JS}</script></body></html>\n")
