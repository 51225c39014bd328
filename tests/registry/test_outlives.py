"""Nothing personal outlives the retention: records, declarations, passes, deny entries, self
check-ins, erasures, and the subjects the audit log quotes (its entries stay, saying whom no
longer), all by the one setting REGISTRY_RETENTION_DAYS."""

from __future__ import annotations

import json

from checkin_protocol.records import Subject
from registry.auth import Role
from registry.core.common import now_ms
from registry.db.models import Base
from registry.service import Registry
from registry.settings import DAY
from support.registry import make_record

VISITOR = "001090012345"


def every_row(registry: Registry) -> str:
    with registry.engine.connect() as c:
        rows = [
            [t.name, *map(str, row)]
            for t in Base.metadata.sorted_tables
            for row in c.execute(t.select()).all()
        ]
    return json.dumps(rows, ensure_ascii=False)


def test_past_the_retention_nothing_names_the_person(registry: Registry) -> None:
    declared = registry.declare(name="Trần Thị Hoa", id_number=VISITOR, phone="0912345678",
                                symptoms=True, contact=False, consent="2026-01")  # fmt: skip
    idh = str(registry.keys.hasher()(VISITOR))
    kiosk = registry.caller(registry.add_kiosk("v1", "k1"))
    officer = registry.caller(registry.add_user("doc", Role.HEALTH_OFFICER))
    assert kiosk is not None and officer is not None
    registry.ingest(kiosk, [make_record(subject=f"pass:{declared.pass_id}")], None)
    registry.denials.deny_id("doc", VISITOR, reason_code="health_order", days=3)
    registry.trace(officer, Subject.parse(idh), 30, None, "ca bệnh F0-2026-117")
    forms = (idh, declared.pass_id, "Trần T** H")
    assert all(f in every_row(registry) for f in forms)  # what the search below looks for

    # Within the retention: all kept.
    registry.purge(now_ms() + (registry.settings.retention_days - 1) * DAY * 1000)
    assert all(f in every_row(registry) for f in forms)
    # Past it (and past the pass's validity, which retention follows): nothing names them.
    later = now_ms() + (registry.settings.retention_days + 8) * DAY * 1000
    registry.purge(later)
    left = every_row(registry)
    for form in forms:
        assert form not in left, form
    # The audit log keeps its entries, evidence for its own 365 days: who, what, why.
    traces = [a for a in registry.audit(100) if a["action"] == "trace"]
    assert traces and traces[0]["params"]["subject"] == "expired"
    assert traces[0]["params"]["reason"] == "ca bệnh F0-2026-117"
    assert any(a["action"] == "deny_id" for a in registry.audit(100))
