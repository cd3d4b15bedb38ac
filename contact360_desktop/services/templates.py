"""Named mapping templates: saved column mappings, re-applied to files with the same header.

A template stores ``ColumnMapping.to_json()`` and the header signature of the file it was
made for; :func:`template_for_header` finds the one to apply automatically.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contact360_desktop.services.errors import PermanentJobError
from contact360_desktop.storage.models import MappingTemplate


class TemplateNotFound(PermanentJobError):
    """No mapping template has this name."""


def save_template(session: Session, name: str, header_signature: str, mapping: dict[str, Any]) -> uuid.UUID:
    """Create or replace the template ``name``; returns its id."""
    name = name.strip()
    if not name:
        raise ValueError("a template needs a name")
    values = insert(MappingTemplate).values(name=name, header_signature=header_signature, mapping=mapping)
    upsert = values.on_conflict_do_update(
        index_elements=[MappingTemplate.name],
        set_={
            "header_signature": header_signature,
            "mapping": mapping,
            "updated_at": values.excluded.updated_at,
        },
    )
    return session.execute(upsert.returning(MappingTemplate.id)).scalar_one()


def get_template(session: Session, name: str) -> MappingTemplate:
    template = session.execute(
        select(MappingTemplate).where(MappingTemplate.name == name)
    ).scalar_one_or_none()
    if template is None:
        raise TemplateNotFound(f"no mapping template named {name!r}")
    return template


def template_for_header(session: Session, header_signature: str) -> MappingTemplate | None:
    """The most recently saved template made for a file with this header, if any."""
    return session.execute(
        select(MappingTemplate)
        .where(MappingTemplate.header_signature == header_signature)
        .order_by(MappingTemplate.updated_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_templates(session: Session) -> list[MappingTemplate]:
    return list(session.execute(select(MappingTemplate).order_by(MappingTemplate.name)).scalars())


def delete_template(session: Session, name: str) -> bool:
    template = session.execute(
        select(MappingTemplate).where(MappingTemplate.name == name)
    ).scalar_one_or_none()
    if template is None:
        return False
    session.delete(template)
    return True
