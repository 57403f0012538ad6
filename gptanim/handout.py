"""The lecture's handout: a PDF on white paper, several slides a page, each beside its speaker notes as text.

Each slide is shown by the last frame of its video (what the screen shows when the beat ends), with
its lightness turned over for paper: the dark background prints white, light text prints dark, and every
hue (a token's colour, blue and red weights) stays the hue it was. The notes are real text in DejaVu
Sans, the scenes' font, so they can be selected, searched and read aloud.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from fpdf import FPDF
from PIL import Image

from gptanim.atomic import written

FONTS = Path("/usr/share/fonts/truetype")
SANS = FONTS / "dejavu" / "DejaVuSans.ttf"
SANS_BOLD = FONTS / "dejavu" / "DejaVuSans-Bold.ttf"
FALLBACKS = {"wqy": FONTS / "wqy" / "wqy-microhei.ttc", "symbola": FONTS / "ancient-scripts" / "Symbola_hint.ttf"}

PAGE_MARGIN = 14  # mm, A4 portrait
IMAGE_WIDTH = 92  # mm; a 16:9 frame is then 52 mm tall: four slides a page
GAP = 6  # mm between a slide and its notes
ROW_GAP = 5
IMAGE_PIXELS = 854  # wide; 235 dpi at 92 mm
INK = (30, 33, 38)
MUTED = (105, 110, 118)

# RGB <-> YIQ (NTSC): Y is the luma, I and Q the chroma.
YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
RGB = np.linalg.inv(YIQ)


def for_paper(frame: Image.Image) -> Image.Image:
    """The frame with its luma turned over and its chroma kept: dark on light, same hues.

    The background (the frame's most common luma) becomes white: Y -> 1 - (Y - Y_background).
    A frame of the light theme is already dark on light, and stays as it is.
    """
    rgb = np.asarray(frame.convert("RGB"), dtype=float) / 255
    yiq = rgb @ YIQ.T
    background = np.median(yiq[..., 0])
    if background > 0.5:
        return frame.convert("RGB")
    yiq[..., 0] = 1 - (yiq[..., 0] - background)
    out = np.clip(yiq @ RGB.T, 0, 1)
    return Image.fromarray((out * 255 + 0.5).astype(np.uint8))


def last_frame(video: Path) -> Image.Image:
    """The last frame of a video, decoding only its last second."""
    import av

    with av.open(str(video)) as src:
        stream = src.streams.video[0]
        if stream.duration and stream.time_base:
            src.seek(max(0, int(stream.duration - 1 / stream.time_base)), stream=stream, backward=True)
        last = None
        for last in src.decode(stream):  # noqa: B007 - only the last one is kept
            pass
        if last is None:
            raise ValueError(f"{video} has no frames")
        return last.to_image()


def slides_of(slides_dir: Path, name: str) -> list[tuple[Path, str]]:
    """(video, notes) of each slide of a scene that has notes (a scene's opening slide has none)."""
    doc = json.loads((slides_dir / f"{name}.json").read_text(encoding="utf-8"))
    return [(Path(s["file"]), s["notes"].strip()) for s in doc["slides"] if s.get("notes", "").strip()]


class Handout(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lecture_title = title
        self.set_title(title)
        self.set_creator("gptanim")
        self.set_image_filter("DCTDecode")  # JPEG: the frames come from lossy video; half the size of PNG
        self.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
        self.set_auto_page_break(False)
        self.add_font("sans", "", SANS)
        self.add_font("sans", "B", SANS_BOLD)
        fallbacks = []
        for name, path in FALLBACKS.items():  # tokens in other scripts and emoji, when the fonts are there
            if path.exists():
                self.add_font(name, "", path)
                fallbacks.append(name)
        self.set_fallback_fonts(fallbacks, exact_match=False)

    def footer(self):
        self.set_y(-10)
        self.set_font("sans", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.lecture_title} · {self.page_no()}/{{nb}}", align="C")

    def room_left(self) -> float:
        return self.h - 14 - self.get_y()


def write_handout(slides_dir: Path, names: list[str], headings: list[str], title: str, out: Path) -> Path:
    """handout.pdf: the title, then each scene's heading and its slides, each beside its notes."""
    pdf = Handout(title)
    pdf.add_page()
    pdf.set_font("sans", "B", 18)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, "Each slide as it ends, beside what to say about it.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    image_h = IMAGE_WIDTH * 9 / 16
    notes_x = PAGE_MARGIN + IMAGE_WIDTH + GAP
    notes_w = pdf.w - PAGE_MARGIN - notes_x
    for number, (name, heading) in enumerate(zip(names, headings), start=1):
        slides = slides_of(slides_dir, name)
        if pdf.room_left() < 10 + image_h:  # a heading never ends a page
            pdf.add_page()
        pdf.set_font("sans", "B", 13)
        pdf.set_text_color(*INK)
        pdf.cell(0, 8, f"{number}. {heading}", new_x="LMARGIN", new_y="NEXT")
        pdf.start_section(heading)  # the PDF's outline: one entry per scene
        pdf.ln(1)
        for video, notes in slides:
            pdf.set_font("sans", "", 10)
            notes_h = pdf.multi_cell(notes_w, 5, notes, dry_run=True, output="HEIGHT")
            row_h = max(image_h, notes_h)
            if pdf.room_left() < row_h:
                pdf.add_page()
            top = pdf.get_y()
            frame = for_paper(last_frame(video))
            frame.thumbnail((IMAGE_PIXELS, IMAGE_PIXELS))
            pdf.image(frame, x=PAGE_MARGIN, y=top, w=IMAGE_WIDTH, h=image_h)
            pdf.set_draw_color(200, 203, 208)
            pdf.rect(PAGE_MARGIN, top, IMAGE_WIDTH, image_h)
            pdf.set_xy(notes_x, top)
            pdf.set_text_color(*INK)
            pdf.multi_cell(notes_w, 5, notes, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(top + row_h + ROW_GAP)
    with written(out) as partial:  # removed if interrupted
        pdf.output(str(partial))
    return out
