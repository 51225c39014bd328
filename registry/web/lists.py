"""The signed trust and deny lists, with ETags so an unchanged list costs a 304."""

from typing import Annotated

from fastapi import APIRouter, Header, Response

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from registry.auth import Caller, Role
from registry.service import Registry
from registry.web.deps import API, RegistryDep, require

router = APIRouter(prefix=f"{API}/lists", tags=["kiosk"])
Reader = Annotated[Caller, require(Role.KIOSK, Role.ADMIN)]


def _list(registry: Registry, name: str, if_none_match: str | None) -> Response:
    version, doc = registry.document(name)
    etag = f'"{name}-{version}"'
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(doc, media_type="application/json", headers={"ETag": etag})


@router.get("/trust", responses={200: {"description": "Signed trust list"}})
def trust_list(
    _: Reader, registry: RegistryDep, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """Issuer public keys, as a signed, versioned document (ETag = version)."""
    return _list(registry, TRUST_LIST, if_none_match)


@router.get("/deny", responses={200: {"description": "Signed deny list"}})
def deny_list(
    _: Reader, registry: RegistryDep, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """Revoked passes and barred subjects, as a signed, versioned document (ETag = version)."""
    return _list(registry, DENY_LIST, if_none_match)
