"""The kiosk's copies of the registry's trust and deny lists: verified, never rolled back, kept."""

from __future__ import annotations

import logging
import threading

from cryptography.hazmat.primitives.serialization import load_pem_public_key

from checkin_protocol.dcc_trust import Dsc, dscs_from_document
from checkin_protocol.documents import (
    DENY_LIST,
    TRUST_LIST,
    DocumentError,
    ListDocument,
    verify_document,
)
from checkin_protocol.erasure import ERASE_ATTRIBUTE
from checkin_protocol.keys import PublicKey, TrustStore
from checkin_protocol.times import parse_iso
from kiosk.passes.dcc import DccSigners
from kiosk.policy.denylist import DenyList, RemoteDeny
from kiosk.store import RecordStore, StorageError

log = logging.getLogger(__name__)

# The URL path of each list under /api/v1/lists/.
PATHS = {TRUST_LIST: "trust", DENY_LIST: "deny"}


def _deny_entries(doc: ListDocument) -> RemoteDeny:
    return RemoteDeny.from_document(doc)


def _dscs(doc: ListDocument) -> list[Dsc]:
    dscs, problems = dscs_from_document(doc.attributes.get("dcc_signers"))
    for problem in problems:
        log.error("trust list DSC unusable: %s", problem)
    return dscs


class ListState:
    def __init__(
        self,
        key: PublicKey,
        store: RecordStore,
        trust: TrustStore,
        deny: DenyList,
        dscs: DccSigners | None = None,
    ) -> None:
        self._key = key
        self._dscs = dscs
        self._store = store
        self._trust = trust
        self._deny = deny
        self._lock = threading.Lock()
        self._docs: dict[str, ListDocument] = {}
        self._etags: dict[str, str | None] = {}
        self._fetched: dict[str, float] = {}

    def load(self) -> None:
        """Install the lists kept from the last run (offline start); refuse tampered copies."""
        for name, (_, envelope, etag, fetched) in self._store.lists().items():
            try:
                # Expiry is not checked here: an old list is still the best one we have,
                # and its age is what the staleness rule looks at.
                doc = verify_document(envelope, self._key, expect_type=name, now=0)
            except DocumentError as exc:
                log.error("stored %s refused: %s", name, exc)
                continue
            self._install(doc, etag, parse_iso(fetched))

    def etag(self, name: str) -> str | None:
        with self._lock:
            return self._etags.get(name)

    def versions(self) -> dict[str, int]:
        with self._lock:
            return {name: doc.version for name, doc in self._docs.items()}

    def age(self, now: float) -> float | None:
        """Seconds since the older of the two lists was last confirmed; None if one is missing."""
        with self._lock:
            if set(self._fetched) != {TRUST_LIST, DENY_LIST}:
                return None
            return now - min(self._fetched.values())

    def confirm(self, name: str, now: float) -> None:
        """The registry answered 304: what we have is current."""
        self._store.touch_list(name, now)
        with self._lock:
            self._fetched[name] = now

    def apply(self, name: str, envelope: str, etag: str | None, now: float) -> ListDocument:
        """Verify and install a list from the registry; raises DocumentError, keeping the old."""
        doc = verify_document(envelope, self._key, expect_type=name, now=now)
        with self._lock:
            current = self._docs.get(name)
        if current is not None and doc.version < current.version:
            raise DocumentError(
                f"{name} version {doc.version} is older than ours ({current.version})"
            )
        self._store.save_list(name, doc.version, envelope, etag, now)
        self._install(doc, etag, now)
        return doc

    def _install(self, doc: ListDocument, etag: str | None, fetched: float) -> None:
        if doc.type == TRUST_LIST:
            keys = []
            for entry in doc.entries:
                try:
                    key = load_pem_public_key(str(entry["public_key"]).encode())
                except (KeyError, ValueError, TypeError) as exc:
                    log.error("trust list entry %s unusable: %s", entry.get("kid"), exc)
                    continue
                keys.append(key)
            self._trust.set_remote(keys)  # type: ignore[arg-type]
            if self._dscs is not None:
                self._dscs.set_remote(_dscs(doc))
        else:
            self._deny.set_remote(_deny_entries(doc))
            erase = doc.attributes.get(ERASE_ATTRIBUTE)
            if isinstance(erase, list):
                # A person's erasure at the registry: their records go from this door too.
                try:
                    erased = self._store.erase(frozenset(str(d) for d in erase))
                except StorageError as exc:  # the list stands; the next one tries again
                    log.error("erasure not applied: %s", exc)
                    erased = 0
                if erased:
                    log.info("erasure: %d records deleted", erased)
        with self._lock:
            self._docs[doc.type] = doc
            self._etags[doc.type] = etag
            self._fetched[doc.type] = fetched
        log.info("%s version %d installed (%d entries)", doc.type, doc.version, len(doc.entries))
