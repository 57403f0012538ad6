"""A contact sheet: a lecture's stills in a grid, each labelled with its file's name."""

from __future__ import annotations

from pathlib import Path

from gptanim.atomic import written


def contact_sheet(stills: list[Path], out: Path, columns: int = 4, width: int = 480) -> Path:
    from PIL import Image, ImageDraw

    images = [Image.open(p).convert("RGB") for p in stills]
    height = int(width * images[0].height / images[0].width)
    rows = (len(images) + columns - 1) // columns
    label_h = 22
    background = images[0].getpixel((0, 0))  # the theme's background
    ink = (40, 40, 40) if sum(background) > 3 * 128 else (200, 200, 200)
    sheet = Image.new("RGB", (columns * width, rows * (height + label_h)), background)
    draw = ImageDraw.Draw(sheet)
    for i, (path, image) in enumerate(zip(stills, images)):
        x, y = (i % columns) * width, (i // columns) * (height + label_h)
        sheet.paste(image.resize((width, height)), (x, y + label_h))
        draw.text((x + 6, y + 4), path.stem, fill=ink)
    with written(out) as partial:
        sheet.save(partial, format="PNG")
    return out
