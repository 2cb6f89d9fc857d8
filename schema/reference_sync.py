"""Load the reference CSVs into the reference tables, so queries and reports can join on them.

Routing itself uses the in-memory ``Registry`` built from the same files; this keeps the tables
equal to those files. Idempotent: the tables are replaced inside the caller's transaction, and
nothing else references rows that could disappear (cases keep their CBS code, which is current).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from schema.base import Base
from schema.models import (
    LegacyMunicipalityRow,
    LegacySuccessor,
    MunicipalityName,
    MunicipalityRow,
    PostcodeRow,
    WoonplaatsRow,
)
from schema.reference import (
    iter_aliases,
    iter_frisian_names,
    iter_legacy,
    iter_municipalities,
    iter_postcodes,
    iter_woonplaatsen,
    load_registry,
)
from workflows.names import normalize_name


def sync_reference_data(session: Session, directory: Path | None = None) -> dict[str, int]:
    """Replace the reference tables' contents with the CSVs; returns row counts per table."""
    registry = load_registry(directory)
    municipalities = [
        {"cbs_code": m.cbs_code, "name": m.name, "province": m.province} for m in iter_municipalities(directory)
    ]
    names = [
        {"cbs_code": m["cbs_code"], "name": m["name"], "normalized": normalize_name(m["name"]), "kind": "official"}
        for m in municipalities
    ]
    for alias in itertools.chain(iter_aliases(directory), iter_frisian_names(directory)):
        resolution = registry.codes.get(alias.cbs_code)
        # Retired codes are aliases for routing, not names; a split alias has no single municipality;
        # a name of a municipality elsewhere (Den Haag) has no row to point to.
        if alias.kind != "municipality" or alias.alias.upper().startswith("GM") or resolution is None:
            continue
        if len(resolution.codes) == 1 and registry.in_region(resolution.codes[0]):
            names.append(
                {
                    "cbs_code": resolution.codes[0],
                    "name": alias.alias,
                    "normalized": normalize_name(alias.alias),
                    "kind": "alias",
                }
            )
    legacy = list(iter_legacy(directory))
    tables: dict[type[Base], list[dict[str, Any]]] = {
        MunicipalityRow: municipalities,
        MunicipalityName: names,
        LegacyMunicipalityRow: [
            {"cbs_code": m.cbs_code, "name": m.name, "dissolved_on": m.dissolved_on} for m in legacy
        ],
        LegacySuccessor: [{"old_cbs_code": m.cbs_code, "successor_cbs_code": s} for m in legacy for s in m.successors],
        WoonplaatsRow: [
            {"woonplaatscode": w.woonplaatscode, "name": w.name, "cbs_code": w.cbs_code}
            for w in iter_woonplaatsen(directory)
        ],
        PostcodeRow: [{"pc4": p.pc4, "cbs_code": p.cbs_code} for p in iter_postcodes(directory)],
    }
    # Children first when deleting, parents first when inserting (foreign keys).
    children: tuple[type[Base], ...] = (MunicipalityName, LegacySuccessor, LegacyMunicipalityRow, WoonplaatsRow,
                                        PostcodeRow)  # fmt: skip
    for model in children:
        session.execute(delete(model))
    existing = {code for (code,) in session.query(MunicipalityRow.cbs_code)}
    new_municipalities = [m for m in municipalities if m["cbs_code"] not in existing]
    if new_municipalities:
        session.execute(insert(MunicipalityRow), new_municipalities)
    for m in municipalities:
        session.query(MunicipalityRow).filter_by(cbs_code=m["cbs_code"]).update(
            {"name": m["name"], "province": m["province"]}
        )
    for model, rows in tables.items():
        if model is not MunicipalityRow and rows:
            session.execute(insert(model), rows)
    return {model.__tablename__: len(rows) for model, rows in tables.items()}
