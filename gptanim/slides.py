"""A manim-slides deck of the lecture: a slide per beat, speaker notes, an offline HTML deck, PPTX and PDF."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path

from gptanim.atomic import copy_tree, scratch_folder, sweep, temporary_name, write_text
from gptanim.handout import write_handout
from model.errors import GptanimError
from scenes.catalog import readable_title

ROOT = Path(__file__).resolve().parent.parent
REVEAL = ROOT / "third_party" / "reveal.js"
URL = re.compile(r"https?://", re.I)


def convert(slides_dir: Path, names: list[str], dest: Path, to: str, *options: str) -> Path:
    partial = temporary_name(dest).with_suffix(".part" + dest.suffix)  # manim-slides wants the suffix
    cmd = [sys.executable, "-m", "manim_slides", "convert", "--folder", str(slides_dir), *names, str(partial),
           "--to", to, *options]  # fmt: skip
    assets = partial.with_name(partial.stem + "_assets")
    scratch = scratch_folder(dest.parent)  # for manim-slides' own temporary files
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TMPDIR": str(scratch)})
        if done.returncode != 0 or not partial.exists():
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise GptanimError(f"manim-slides could not write the {to} deck: {last[0]}")
    except BaseException:  # interrupted (manim-slides is stopped with it) or failed: what it began is removed
        partial.unlink(missing_ok=True)
        shutil.rmtree(assets, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os.replace(partial, dest)
    if assets.exists():  # the HTML deck's videos, named after the file
        final_assets = dest.with_name(dest.stem + "_assets")
        shutil.rmtree(final_assets, ignore_errors=True)
        assets.rename(final_assets)
        html = dest.read_text(encoding="utf-8").replace(assets.name, final_assets.name)
        write_text(dest, html)
    return dest


# reveal.js puts an "Unmute video" button over the slide's bottom-left corner when the browser holds back a
# video's sound until the user has pressed something. The button is hidden, and the lecturer's first key press
# or click (which is that permission) turns the sound of the muted video on; later slides play with sound.
UNMUTE_ON_FIRST_KEY = """<style>.reveal .r-media-play-button { display: none !important; }</style>
<script>
["keydown", "pointerdown"].forEach((type) => document.addEventListener(type, () => {
  document.querySelectorAll("video[data-muted-by-reveal]").forEach((video) => {
    video.muted = false;
    video.removeAttribute("data-muted-by-reveal");
  });
}, { capture: true }));
</script>
"""


def make_offline(html: Path) -> None:
    """Point the deck at the local reveal.js and drop every web address, so it works with no network."""
    if not (REVEAL / "dist" / "reveal.js").exists():
        raise GptanimError("reveal.js is missing from third_party/; run scripts/setup.sh (it fetches it from npm)")
    target = html.parent / "reveal.js"
    shutil.rmtree(target, ignore_errors=True)
    copy_tree(REVEAL / "dist", target / "dist")
    text = html.read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)  # comments carry links to the docs
    text = "\n".join(line for line in text.splitlines() if not (URL.search(line) and line.strip().startswith("//")))
    if URL.search(text):
        raise GptanimError(f"{html.name} still refers to a web address: {URL.search(text).group(0)}…")
    write_text(html, text.replace("</head>", UNMUTE_ON_FIRST_KEY + "</head>", 1))


def build_deck(slides_dir: Path, names: list[str], title: str, headings: list[str] | None = None,
               report=None, theme: str = "dark", beats: list[dict] | None = None) -> dict:  # fmt: skip
    """deck.html (offline), deck.pptx and handout.pdf beside `slides_dir`, from the scenes' slides.

    `headings` are the scenes' titles in the handout (default: the catalog's); `beats` the scenes'
    `.beats.json` documents, whose titles title the PPTX's slides (default: the headings); `report(text)`
    is told each file before it is written.
    """
    report = report or (lambda text: None)
    missing = [n for n in names if not (slides_dir / f"{n}.json").exists()]
    if missing:
        raise GptanimError(f"no slides for {missing[0]} in {slides_dir}; render the lecture first")
    out = slides_dir.parent
    sweep(out)
    escaped = scratch_folder(out)
    try:
        escaped_slides(slides_dir, names, escaped)
        report("writing deck.html (offline, reveal.js beside it)")
        deck = convert(escaped, names, out / "deck.html", "html", "-ccdn_url=reveal.js", f"-ctitle={html_text(title)}",
                       f"-creveal_theme={'white' if theme == 'light' else 'black'}")  # fmt: skip
    finally:
        shutil.rmtree(escaped, ignore_errors=True)
    make_offline(deck)
    report("writing deck.pptx")
    headings = headings or [readable_title(n) for n in names]
    pptx = write_pptx(slides_dir, names, slide_titles(slides_dir, names, headings, beats), title, out / "deck.pptx")
    report("writing handout.pdf")
    pdf = write_handout(slides_dir, names, headings, title, out / "handout.pdf")
    return {"folder": out, "html": deck, "pptx": pptx, "pdf": pdf, "slides": slides_dir}


def html_text(text: str) -> str:
    """`text` escaped for HTML, "=" too: manim-slides splits its `-ckey=value` options at every "="."""
    return escape(text).replace("=", "&#61;")


MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def plain_markdown(text: str) -> str:
    """`text` with its markdown punctuation escaped: the speaker view renders notes as markdown, where a
    narration's `[here](javascript:…)` would be a link; escaped, it reads as written."""
    return MARKDOWN.sub(r"\\\1", text)


def escaped_slides(slides_dir: Path, names: list[str], folder: Path) -> Path:
    """The scenes' slide files in `folder` with their notes escaped for HTML, which manim-slides inserts as
    they are, and for markdown, which the speaker view renders: a prompt's `<script>` or a link is then shown,
    never run. The slides' videos stay where they are."""
    for name in names:
        doc = json.loads((slides_dir / f"{name}.json").read_text(encoding="utf-8"))
        for slide in doc["slides"]:
            if slide.get("notes"):
                slide["notes"] = html_text(plain_markdown(slide["notes"]))
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def beat_slides(slides_dir: Path, name: str, n_beats: int) -> list[dict]:
    """A scene's slides, the last `n_beats` of them one per beat (each beat starts a slide; a picture shown
    before the first beat is a slide of its own, without notes)."""
    slides = json.loads((slides_dir / f"{name}.json").read_text(encoding="utf-8"))["slides"]
    return slides[len(slides) - n_beats :] if n_beats else []


def slide_titles(slides_dir: Path, names: list[str], headings: list[str], beats: list[dict] | None) -> list[list[str]]:
    """Each scene's slides' titles: its beat's title after the scene's heading ("Softmax: Normalise"), the
    heading alone on a slide before the first beat."""
    titled = []
    for i, (name, heading) in enumerate(zip(names, headings)):
        slides = json.loads((slides_dir / f"{name}.json").read_text(encoding="utf-8"))["slides"]
        own = [b.get("title") or "" for b in beats[i]["beats"]] if beats else []
        own = own[-len(slides) :] if len(own) > len(slides) else own
        lead = [heading] * (len(slides) - len(own))
        titled.append(lead + [f"{heading}: {t}" if t and t != heading else heading for t in own])
    return titled


BAND = 80  # pixels above the 1280×720 video for the slide's title


def write_pptx(slides_dir: Path, names: list[str], titles: list[list[str]], lecture_title: str, out: Path) -> Path:
    """deck.pptx: a slide per beat, its title (a real title, for the outline and screen readers) in a band above
    its video, the narration as notes, and the beat's last frame as the picture shown until the video plays,
    in a thumbnail, a print or a viewer without video: each slide rests on its result. The video starts on
    entering the slide."""
    from manim_slides.convert import _auto_play_pptx_media  # manim-slides' own (pinned below 5.8)
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Pt

    from gptanim.atomic import written
    from gptanim.handout import last_frame

    px = 9525  # EMU per pixel at 96 dpi
    prs = Presentation()
    prs.core_properties.title = lecture_title
    prs.slide_width, prs.slide_height = Emu(1280 * px), Emu((720 + BAND) * px)
    layout = prs.slide_layouts[5]  # "Title Only"
    tmp = scratch_folder(out.parent)  # the posters; what a killed process left is swept by the next
    try:
        for name, scene_titles in zip(names, titles):
            slides = json.loads((slides_dir / f"{name}.json").read_text(encoding="utf-8"))["slides"]
            for n, (slide_doc, heading) in enumerate(zip(slides, scene_titles)):
                frame = last_frame(Path(slide_doc["file"]))
                background = frame.getpixel((0, 0))  # the theme's; its text is light on dark, dark on light
                slide = prs.slides.add_slide(layout)
                slide.background.fill.solid()
                slide.background.fill.fore_color.rgb = RGBColor(*background[:3])
                head = slide.shapes.title
                head.left, head.top, head.width, head.height = Emu(24 * px), Emu(8 * px), Emu(1232 * px), Emu(64 * px)
                head.text = heading
                font = head.text_frame.paragraphs[0].runs[0].font
                ink = (0x1F, 0x23, 0x28) if sum(background[:3]) > 3 * 128 else (0xE8, 0xE8, 0xE8)
                font.size, font.color.rgb = Pt(26), RGBColor(*ink)
                poster = Path(tmp) / f"{name}-{n}.png"
                frame.save(poster)
                movie = slide.shapes.add_movie(slide_doc["file"], 0, Emu(BAND * px), Emu(1280 * px), Emu(720 * px),
                                               poster_frame_image=str(poster), mime_type="video/mp4")  # fmt: skip
                _auto_play_pptx_media(movie, loop=bool(slide_doc.get("loop")))
                if slide_doc.get("notes"):
                    slide.notes_slide.notes_text_frame.text = slide_doc["notes"]
        with written(out) as partial:
            prs.save(str(partial))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def beat_stills(slides_dir: Path, videos: list[Path], folder: Path) -> Path:
    """Each beat's last frame as a PNG, `folder/<Scene>-NN.png` (NN as the beat's id), from its slide."""
    from gptanim.atomic import written
    from gptanim.handout import last_frame
    from gptanim.narration import beat_id

    folder.mkdir(parents=True, exist_ok=True)
    for video in videos:
        doc = json.loads(video.with_suffix(".beats.json").read_text(encoding="utf-8"))
        name = doc["scene"]
        for n, slide in enumerate(beat_slides(slides_dir, name, len(doc["beats"])), start=1):
            with written(folder / f"{beat_id(name, n)}.png") as partial:
                last_frame(Path(slide["file"])).save(partial, format="PNG")
    return folder
