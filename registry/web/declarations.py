"""Public health declarations; each returns a signed pass carrying its time."""

from typing import Annotated

import segno
from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field

from registry.core.common import iso_ms, now_ms, text_problem
from registry.service import Registry
from registry.web.deps import API, RegistryDep, client_address, limited

router = APIRouter(prefix=API, tags=["public"])


def _printable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class DeclarationIn(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(_printable)]
    id_number: str = Field(pattern=r"^\d{9,12}$")
    phone: str = Field(pattern=r"^\+?[0-9 ]{8,16}$")
    symptoms: bool
    contact: bool


class DeclarationOut(BaseModel):
    pass_text: str
    pass_id: str
    png_base64: str
    declared_at: str


def declare(registry: Registry, request: Request, d: DeclarationIn) -> DeclarationOut:
    """Record a declaration; the pass comes back as text and as a QR code PNG.

    Rate-limited per client address and per ID number (by its keyed hash: the number itself
    is kept nowhere, not even in memory tables).
    """
    limited(request, "declare_address", client_address(request))
    limited(request, "declare_id", str(registry.keys.hasher()(d.id_number)))
    declared = registry.declare(
        name=d.name, id_number=d.id_number, phone=d.phone, symptoms=d.symptoms, contact=d.contact
    )
    png = segno.make(declared.pass_text, error="m").png_data_uri(scale=6, border=4)
    return DeclarationOut(
        pass_text=declared.pass_text,
        pass_id=declared.pass_id,
        png_base64=png.split(",", 1)[1],
        declared_at=iso_ms(now_ms()),
    )


@router.post(
    "/declarations",
    response_model=DeclarationOut,
    responses={
        429: {"description": "Too many declarations from this address or for this ID number"},
        503: {"description": "The deny list is at its size budget; try later"},
    },
)
def declaration(body: DeclarationIn, request: Request, registry: RegistryDep) -> DeclarationOut:
    """A health declaration; returns a signed personal pass carrying its time.

    A declared risk bars the pass issued here (privately), never the ID number; a new
    declaration for an ID number revokes its previous pass.
    """
    return declare(registry, request, body)
