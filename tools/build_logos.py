"""Builds the placeholder logos in ``templates/<slug>/logo.png``.

They stand in for each authority's real logo, which is the authority's own to supply: a policy
owner replaces ``logo.png`` (a PNG, at most 1 MiB; it prints fitted to 60 x 15 mm above the
authority's name in the letter head). Each placeholder is a coloured band with the authority's
initials and the words "placeholder logo", so it can never pass for the real thing::

    .venv/bin/python tools/build_logos.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf")  # fonts-liberation2
SIZE = (600, 150)  # 4:1, the letter head's 60 x 15 mm at 254 dpi
LOGOS = {  # slug: (initials, colour)
    "worcestershire": ("WCC", (0, 94, 133)),
    "south-gloucestershire": ("SGC", (102, 45, 145)),
    "derbyshire": ("DCC", (0, 112, 60)),
}


def build(initials: str, colour: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", SIZE, colour)
    draw = ImageDraw.Draw(image)
    draw.text((30, 18), initials, font=ImageFont.truetype(str(FONT), 96), fill="white")
    draw.text((330, 60), "placeholder logo", font=ImageFont.truetype(str(FONT), 30), fill="white")
    return image


def main() -> None:
    for slug, (initials, colour) in LOGOS.items():
        target = ROOT / "templates" / slug / "logo.png"
        build(initials, colour).save(target, "PNG")
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
