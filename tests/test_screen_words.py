"""The on-screen word count (bench/screen_words.py): tesseract's TSV read into words, the width a picture spans,
the share of small words, and one frame read back by tesseract itself."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bench import screen_words

HEAD = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def row(level, text, conf, height):
    return f"{level}\t1\t1\t1\t1\t1\t10\t10\t40\t{height}\t{conf}\t{text}"


def test_tsv_keeps_confident_words_with_a_letter_or_digit():
    tsv = "\n".join([HEAD, row(1, "", -1, 480), row(5, "Where", 96.5, 44), row(5, "5,322,240", 91, 50),
                     row(5, "—", 90, 12), row(5, "×", 88, 19), row(5, "x", 88, 19), row(5, "blur", 12, 30),
                     row(4, "line", 95, 44), row(5, "(tied)", 80, 18)])  # fmt: skip
    words = screen_words.parse_tsv(tsv)
    assert [(w.text, w.height) for w in words] == [("Where", 44), ("5,322,240", 50), ("(tied)", 18)]
    assert screen_words.small_share(words) == pytest.approx(1 / 3)
    assert screen_words.small_share([]) == 0.0
    assert screen_words.parse_tsv("") == []


def test_width_span_counts_from_the_leftmost_to_the_rightmost_drawn_column_above_the_caption_band():
    frame = np.full((100, 200, 3), (14, 17, 22), dtype=np.uint8)
    frame[10:20, 30:40] = 255  # a shape at the left
    frame[50:60, 150:170] = (60, 120, 250)  # one at the right
    frame[95:99, 0:200] = 255  # a caption across the bottom band: not the picture
    frame[5, 190] = 255  # one stray pixel: under MIN_INK
    assert screen_words.width_span(frame) == pytest.approx((170 - 30) / 200)
    assert screen_words.width_span(np.full((100, 200, 3), 9, dtype=np.uint8)) == 0.0


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract (tesseract-ocr)")
def test_a_drawn_frame_is_read_back_with_its_words_and_heights():
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1920, 1080), (14, 17, 22))
    draw = ImageDraw.Draw(image)
    draw.text((200, 300), "counted sacks 2048", fill=(240, 240, 240), font=ImageFont.load_default(size=60))
    draw.text((200, 600), "tiny words here", fill=(240, 240, 240), font=ImageFont.load_default(size=18))
    words = screen_words.ocr(image)
    big = {w.text: w.height for w in words if w.height >= screen_words.SMALL_PX}
    assert {"counted", "sacks", "2048"} <= set(big)
    small = {w.text for w in words if w.height < screen_words.SMALL_PX}
    assert {"tiny", "words", "here"} <= small and small.isdisjoint(big)
