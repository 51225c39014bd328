"""The admin's pages: venues, kiosks, users and list versions; a venue's printable QR poster."""

from pathlib import Path

import segno
from fastapi import APIRouter, Request, Response

from registry.auth import Role
from registry.core.common import now_ms
from registry.web import i18n
from registry.web.deps import RegistryDep
from registry.web.render import message, page, pagedata, staff, texts

router = APIRouter(include_in_schema=False)

# A font with Vietnamese letters: PDF's built-in fonts have Latin-1 only. Debian's
# fonts-dejavu-core (installed with fontconfig, so almost everywhere).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
QR_MM = 160  # the poster's QR: 16 × 16 cm, readable by a phone from a couple of metres


@router.get("/admin")
def admin(request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    t = texts(request)
    data = pagedata(registry)
    now = now_ms()
    kiosks = data.kiosks(None, now)
    for k in kiosks:
        k["seen"] = t.ago(k["last_seen_ms"], now)
    users = registry.accounts.users()
    for u in users:
        u["role_name"] = (
            t(f"role_{u['role']}") if u["role"] in (r.value for r in Role) else u["role"]
        )
    return page(
        request,
        "admin.html",
        title=t.admin_title,
        user=got,
        venues=data.venues(),
        kiosks=kiosks,
        users=users,
        lists=sorted(data.list_versions().items()),
    )


def _font() -> Path | None:
    return next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)


def poster_pdf(venue_name: str, venue_id: str, base_url: str, t: i18n.Texts) -> bytes:
    """An A4 poster: the venue's name, how to check in, a 16 cm QR of its self check-in page."""
    fonts = _font()
    if fonts is None:
        raise RuntimeError("no DejaVu fonts (apt-get install fonts-dejavu-core)")
    # Imported here: fpdf2 pulls in fontTools and numpy, the larger part of the server's
    # start-up time, for a page an admin prints once per venue.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    pdf.set_text_color(11, 74, 139)
    pdf.set_font("dejavu", "B", 26)
    pdf.set_y(15)
    pdf.multi_cell(0, 12, t.poster_heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(27, 31, 36)
    pdf.set_font("dejavu", "B", 22)
    pdf.multi_cell(0, 11, venue_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("dejavu", "", 16)
    for step in (t("poster_step1", url=f"{base_url}/declare"), t.poster_step2, t.poster_step3):
        pdf.multi_cell(0, 8.5, step, align="L", new_x="LMARGIN", new_y="NEXT")
    # The QR drawn as squares (vector): sharp at any printer resolution.
    qr = segno.make(f"{base_url}/checkin/{venue_id}", error="m")
    rows = list(qr.matrix)
    module = QR_MM / len(rows)
    # Right under the steps (the eye goes there next), but never off the page.
    x0, y0 = (210 - QR_MM) / 2, min(pdf.get_y() + 8, 297 - 15 - QR_MM - 10)
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                pdf.rect(x0 + x * module, y0 + y * module, module + 0.01, module + 0.01, style="F")
    pdf.set_y(y0 + QR_MM + 3)  # the address under the code, for whoever cannot scan
    pdf.set_font("dejavu", "", 10)
    pdf.cell(0, 6, f"{base_url}/checkin/{venue_id}", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@router.get("/admin/venues/{venue_id}/poster.pdf")
def poster(venue_id: str, request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    venue = pagedata(registry).venue(venue_id)
    if venue is None:
        return message(request, 404, "not_found_title", "not_found", user=got)
    base = str(request.base_url).rstrip("/")
    body = poster_pdf(venue.name, venue.id, base, texts(request))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="poster-{venue.id}.pdf"'},
    )
