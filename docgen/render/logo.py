"""An authority's logo in a filled document.

A template prints the logo with ``{{ authority.logo }}`` in the document body (the letter head
does, above the authority's name). The value is a picture run that points at a relationship
the engine adds to the document's part, and the engine puts the authority's PNG in the package
as ``word/media/docgen-logo.png``; an authority without a logo prints nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from docgen.registry.profiles import Logo

PART = "word/media/docgen-logo.png"
RELATIONSHIP_ID = "rIdDocgenLogo"
RELATIONSHIP = (
    f'<Relationship Id="{RELATIONSHIP_ID}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
    'Target="media/docgen-logo.png"/>'
)
PNG_TYPE = '<Default Extension="png" ContentType="image/png"/>'
# A transparent pixel: what the part holds for an authority without a logo, so the
# relationship a template's logo tag needs always points at a picture.
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
_EMU_PER_MM = 36000


@dataclass(frozen=True)
class LogoPicture:
    """``{{ authority.logo }}``: the logo as a Word picture, with the authority's name as its
    alternative text for screen readers."""

    logo: Logo
    alt: str

    @property
    def png(self) -> bytes:
        return self.logo.png

    def __html__(self) -> str:
        cx, cy = round(self.logo.width_mm * _EMU_PER_MM), round(self.logo.height_mm * _EMU_PER_MM)
        alt = escape(self.alt)
        picture = (
            f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
            f'<wp:docPr id="1" name="Logo" descr="{alt}"/>'
            '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            f'<pic:nvPicPr><pic:cNvPr id="0" name="logo.png" descr="{alt}"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:embed="{RELATIONSHIP_ID}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
            f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
            "</wp:inline></w:drawing>"
        )
        # The tag stands inside a run's text: close it, add the picture's run, open a new one.
        return Markup(f'</w:t></w:r><w:r>{picture}</w:r><w:r><w:t xml:space="preserve">')

    def __str__(self) -> str:
        return ""  # outside Word XML (a file name, a text snapshot) the logo is nothing


def with_picture(context: dict) -> dict:
    """``context`` with the authority's logo (a profile's :class:`Logo`, as the case's view
    gives it) as the picture Word shows, with the authority's name as its alternative text.
    The view is shared by every document of a case, so it is copied, not changed."""
    authority = context.get("authority")
    if not isinstance(authority, dict) or not isinstance(authority.get("logo"), Logo):
        return context
    picture = LogoPicture(authority["logo"], f"{authority['name']} logo")
    return {**context, "authority": {**authority, "logo": picture}}
