"""Public health declarations; each returns a signed pass carrying its time."""

from typing import Annotated, Any

import segno
from fastapi import APIRouter, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from checkin_protocol.kp1 import PassRejected
from registry.core.common import TEXT_PATTERN, iso_ms, now_ms, text_problem
from registry.core.consent import CURRENT, consent_problem
from registry.core.declarations import device_hash
from registry.core.idnumbers import ID_NUMBER_PATTERN
from registry.service import Registry
from registry.web.deps import API, RegistryDep, client_address, limited
from registry.web.jsontypes import JsonBool
from registry.web.shown import DEVICE_PATTERN, verified

router = APIRouter(prefix=API, tags=["public"])


def _printable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _consent_required(schema: dict[str, Any]) -> None:
    schema["required"] = [*schema.get("required", []), "consent"]


class DeclarationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_consent_required)

    name: Annotated[
        str,
        Field(
            min_length=2,
            max_length=100,
            pattern=TEXT_PATTERN,
            description="The name the pass shows, masked",
        ),
        AfterValidator(_printable),
    ]
    id_number: str = Field(
        pattern=ID_NUMBER_PATTERN,
        description="The ID card's number: a CCCD's 12 digits (a province's code, century "
        "and sex, birth year, 6 more: Thông tư 07/2016/TT-BCA) or a CMND's 9",
    )
    phone: str = Field(pattern=r"^\+?[0-9 ]{8,16}$", description="A phone number to reach")
    symptoms: JsonBool = Field(description="Symptoms now")
    contact: JsonBool = Field(description="Contact with a case in the last 14 days")
    device_secret: str | None = Field(
        None,
        pattern=DEVICE_PATTERN,
        description="A random secret the declaring device keeps; it proves the pass is held "
        "by this device, never sent to a kiosk",
    )
    # Checked by the route (consent_problem), which says what is missing; the schema says
    # what is taken: the current version, and nothing else.
    consent: Annotated[
        str | None,
        WithJsonSchema(
            {
                "type": "string",
                "enum": [CURRENT],
                "description": "The version of the consent text the person ticked themselves "
                "(GET /api/v1/consent); without the current one the declaration is refused",
            }
        ),
    ] = Field(None, max_length=16)
    code: str | None = Field(
        None,
        pattern=r"^[0-9]{6}$",
        description="A one-time code sent to the phone declared with a pass in force of this "
        "ID number (POST /api/v1/declarations/code): that pass is superseded",
    )
    previous_pass: str | None = Field(
        None,
        max_length=2000,
        description="This device's pass in force (its QR text), to be superseded: it is, "
        "if device_secret is the one it was issued with; otherwise it stays valid",
    )


class DeclarationOut(BaseModel):
    pass_text: str = Field(description="The signed pass, the QR code's text")
    pass_id: str = Field(description="The pass's id, 32 hex digits")
    png_base64: str = Field(description="The QR code as a PNG, base64")
    declared_at: str = Field(description="When the registry recorded the declaration")
    superseded: bool = Field(
        description="Whether previous_pass was superseded (it no longer opens a door)"
    )


def _previous_id(registry: Registry, text: str | None) -> str | None:
    """The id of the previous pass shown, if it is a pass this registry signed."""
    if not text:
        return None
    try:
        return verified(registry, text.strip()).pass_id.hex()
    except PassRejected:
        return None


def declare(registry: Registry, request: Request, d: DeclarationIn) -> DeclarationOut:
    """Record a declaration; the pass comes back as text and as a QR code PNG.

    Rate-limited per client address, and per ID number (by its keyed hash: the number itself
    is kept nowhere, not even in memory tables) together with who asks: the pass superseded,
    or else the address. Anyone may type an ID number, so a bucket of the ID alone would be
    spent by strangers, and its holder's own declaration refused.
    """
    problem = consent_problem(d.consent)
    if problem:
        raise HTTPException(422, problem)  # before any rate limit is spent on it
    address = client_address(request)
    limited(request, "declare_address", address)
    previous = _previous_id(registry, d.previous_pass) if d.device_secret else None
    # The pass and the device's secret together: a photo of the QR with a made-up secret
    # spends a bucket of its own, not the holder's.
    who = f"pass:{previous}:{device_hash(d.device_secret or '')}" if previous else f"from:{address}"
    limited(request, "declare_id", f"{registry.keys.hasher()(d.id_number)}|{who}")
    declared = registry.declare(
        name=d.name,
        id_number=d.id_number,
        phone=d.phone,
        symptoms=d.symptoms,
        contact=d.contact,
        device=d.device_secret,
        previous=previous,
        requester=address,
        consent=d.consent,
        code=d.code,
    )
    png = segno.make(declared.pass_text, error="m").png_data_uri(scale=6, border=4)
    return DeclarationOut(
        pass_text=declared.pass_text,
        pass_id=declared.pass_id,
        png_base64=png.split(",", 1)[1],
        declared_at=iso_ms(now_ms()),
        superseded=declared.superseded,
    )


@router.post(
    "/declarations",
    response_model=DeclarationOut,
    responses={
        429: {"description": "Too many declarations from this address or for this ID number"},
        503: {
            "description": "The deny list is at its size budget, or (an at-risk declaration) "
            "the declarations' share of it or this address's part is in use; try later"
        },
    },
)
def declaration(body: DeclarationIn, request: Request, registry: RegistryDep) -> DeclarationOut:
    """A health declaration; returns a signed personal pass carrying its time.

    A declared risk bars the pass issued here (privately), never the ID number. A new
    declaration revokes a previous pass only when shown with the secret of the device that
    pass was issued to; any other pass of the ID stays valid until it expires.
    """
    return declare(registry, request, body)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        pattern=ID_NUMBER_PATTERN, description="The ID number declared with the pass to replace"
    )


class CodeSent(BaseModel):
    detail: str = Field(
        description="The same words for every number: whether a pass was in "
        "force for it is not said"
    )


CODE_SENT = (
    "if a pass is in force for this ID number, a one-time code went to the phone declared "
    "with it; it is valid 10 minutes"
)


def send_code(registry: Registry, request: Request, id_number: str) -> None:
    """Rate-limited per address; each pass's phone gets a few codes a day, whoever asks."""
    limited(request, "declare_address", client_address(request))
    registry.codes.send(id_number)


@router.post(
    "/declarations/code",
    response_model=CodeSent,
    status_code=202,
    responses={429: {"description": "Too many requests from this address"}},
)
def declaration_code(body: CodeIn, request: Request, registry: RegistryDep) -> CodeSent:
    """A one-time code to the phone declared with each pass in force for the ID number: shown
    with a new declaration (`code`), it supersedes that pass, for a holder whose phone no
    longer keeps the pass (what the declaration page sends otherwise)."""
    send_code(registry, request, body.id_number)
    return CodeSent(detail=CODE_SENT)
