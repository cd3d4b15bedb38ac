"""The SQL of an export: column expressions, the selection, and the COPY statement around them.

Everything the file needs is computed by PostgreSQL inside ``COPY (SELECT ...) TO
STDOUT (FORMAT csv)``: text conversion, quoting and the formula-injection rule
(core.export_format.neutralise, written as a CASE). Python only moves bytes,
which keeps an export close to the speed of a bare COPY.

Values are composed with ``psycopg.sql.Literal`` (COPY takes no server-side
parameters). An explicit selection is read from the export row itself
(``exports.selection_ids``), so a 100,000-id selection never travels as
parameters (a join with ``unnest(selection_ids)``, see Selection.from_clause).

Row order: an id selection comes out oldest first (created_at, id); a filter streams contacts in
storage order (see Selection.order_clause for why); companies are sorted by name.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql

from contact360_desktop.core.export_format import (
    FORMULA_TRIGGERS,
    PHONE,
    SAFE_PHONE_PATTERN,
    ColumnSpec,
    FormatOptions,
)
from contact360_desktop.services.browse import contact_search, escape_like

#: Filter keys a selection may use (the GUI and CLI build these dicts).
FILTER_KEYS = ("search", "company", "country", "created_from", "created_to", "import_job")

_CONTACT_EXPRESSIONS: dict[str, str] = {
    "company_name": "co.name",
    "company_domain": "co.domain",
    "company_website": "co.website",
    "company_industry": "co.industry",
    "company_employee_count": "co.employee_count",
    "company_city": "co.city",
    "company_state": "co.state",
    "company_country": "co.country",
}
_COMPANY_EXPRESSIONS: dict[str, str] = {
    # Correlated count: uses ix_contacts_company_id, cheap for a small selection and for all.
    "contact_count": "(SELECT count(*) FROM contacts x WHERE x.company_id = co.id)",
}

#: Code points of the trigger characters; all are below 65 ("A"), which gives a cheap first test.
_TRIGGER_CODES = sql.SQL(", ").join(sql.Literal(ord(ch)) for ch in FORMULA_TRIGGERS)
_FIRST_NON_TRIGGER = sql.Literal(max(ord(ch) for ch in FORMULA_TRIGGERS) + 1)


def column_expression(kind: str, spec: ColumnSpec, *, raw: bool) -> sql.Composable:
    """The SELECT expression of one column, with the safety rule applied unless raw."""
    key = spec.custom_key
    if key is not None:
        expr: sql.Composable = sql.SQL("(c.custom_fields ->> {})").format(sql.Literal(key))
    elif kind == "contacts":
        expr = sql.SQL(_CONTACT_EXPRESSIONS.get(spec.name) or f"c.{spec.name}")
    else:
        expr = sql.SQL(_COMPANY_EXPRESSIONS.get(spec.name) or f"co.{spec.name}")
    if raw or not spec.neutralised:
        return expr
    # ascii() is the cheapest first-character test PostgreSQL has (left(x, 1) IN (...) was 25% slower
    # per 1M rows); most cells start with a letter and stop at the "< 65" comparison. Only the few
    # phone cells that start with a trigger reach the regex.
    condition = sql.SQL("ascii({e}) < {limit} AND ascii({e}) IN ({codes})").format(
        e=expr, limit=_FIRST_NON_TRIGGER, codes=_TRIGGER_CODES
    )
    if spec.kind == PHONE:
        condition = sql.SQL("{c} AND {e} !~ {pattern}").format(
            c=condition, e=expr, pattern=sql.Literal(SAFE_PHONE_PATTERN)
        )
    return sql.SQL("CASE WHEN {c} THEN '''' || {e} ELSE {e} END").format(c=condition, e=expr)


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which rows: ids stored on export ``export_id`` (when ``by_ids``) and/or a filter."""

    kind: str
    export_id: uuid.UUID
    by_ids: bool = False
    filter: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def from_clause(self) -> sql.Composable:
        if self.kind == "contacts":
            base, alias = sql.SQL("contacts c LEFT JOIN companies co ON co.id = c.company_id"), sql.SQL("c")
        else:
            base, alias = sql.SQL("companies co"), sql.SQL("co")
        if not self.by_ids:
            return base
        # The ids stay in the database: a join with the unnested array of the export row. Written as a
        # plain sub-select (not "= ANY((SELECT ...))", an InitPlan), the plan can run in parallel
        # workers, each hashing the ids: 100k ids then cost about what a filter on the same rows does.
        # create_export removes duplicate ids, so the join cannot repeat a row.
        return sql.SQL(
            "{base} JOIN (SELECT unnest(e.selection_ids) AS id FROM exports e WHERE e.id = {export_id}) AS sel "
            "ON sel.id = {alias}.id"
        ).format(base=base, export_id=sql.Literal(self.export_id), alias=alias)

    def where_clause(self) -> sql.Composable:
        conditions = [
            self._condition(name, value) for name, value in self.filter.items() if value not in (None, "")
        ]
        if not conditions:
            return sql.SQL("")
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)

    def order_clause(self) -> sql.Composable:
        if self.kind == "companies":
            return sql.SQL(" ORDER BY lower(co.name), co.id")  # few rows: sorted by name
        if self.by_ids:
            # A selection comes out oldest first; sorting the selected rows is cheap next to finding them.
            return sql.SQL(" ORDER BY c.created_at, c.id")
        # A filter ("export all" included) streams in storage order, roughly the order contacts were
        # added: ORDER BY created_at made a 1M-row export ~30% slower (index scan + nested loop
        # instead of a hash join), which broke the speed target (bench/bench_export.py).
        return sql.SQL("")

    def _condition(self, name: str, value: Any) -> sql.Composable:
        contacts = self.kind == "contacts"
        table = sql.SQL("c" if contacts else "co")
        lit = sql.Literal(value)
        if name == "search":
            if contacts:
                # The same condition as the GUI's search, so the same indexes serve both.
                condition, patterns = contact_search(str(value), "{{{}}}".format)
                return sql.SQL(condition).format(**{k: sql.Literal(v) for k, v in patterns.items()})
            pattern = sql.Literal("%" + escape_like(str(value)) + "%")
            return sql.SQL("(co.name ILIKE {p} OR co.domain ILIKE {p})").format(p=pattern)
        if name == "company":
            company_id = _as_uuid(value)
            if company_id is not None:
                return sql.SQL("{t}.id = {v}" if not contacts else "c.company_id = {v}").format(
                    t=table, v=sql.Literal(company_id)
                )
            return sql.SQL("(lower(co.name) = lower({v}) OR lower(co.domain) = lower({v}))").format(v=lit)
        if name == "country":
            return sql.SQL("lower({t}.country) = lower({v})").format(t=table, v=lit)
        if name == "created_from":
            return sql.SQL("{t}.created_at >= {v}::timestamptz").format(t=table, v=lit)
        if name == "created_to":
            return sql.SQL("{t}.created_at < {v}::timestamptz").format(t=table, v=lit)
        if name == "import_job":
            job = sql.Literal(uuid.UUID(str(value)))
            if contacts:
                return sql.SQL("c.created_by_job = {v}").format(v=job)
            return sql.SQL(
                "EXISTS (SELECT 1 FROM contacts x WHERE x.company_id = co.id AND x.created_by_job = {v})"
            ).format(v=job)
        raise ValueError(f"unknown filter {name!r}; known: {', '.join(FILTER_KEYS)}")


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def select_query(selection: Selection, columns: Sequence[ColumnSpec], *, raw: bool) -> sql.Composed:
    expressions = sql.SQL(", ").join(column_expression(selection.kind, spec, raw=raw) for spec in columns)
    return sql.SQL("SELECT {cols} FROM {src}{where}{order}").format(
        cols=expressions,
        src=selection.from_clause(),
        where=selection.where_clause(),
        order=selection.order_clause(),
    )


def count_query(selection: Selection) -> sql.Composed:
    """The progress total. For a bare id selection it is the number of ids (an upper bound when some
    were deleted since), which costs nothing; the final row count is always exact."""
    if selection.by_ids and not any(v not in (None, "") for v in selection.filter.values()):
        return sql.SQL("SELECT coalesce(cardinality(selection_ids), 0) FROM exports WHERE id = {}").format(
            sql.Literal(selection.export_id)
        )
    return sql.SQL("SELECT count(*) FROM {src}{where}").format(
        src=selection.from_clause(), where=selection.where_clause()
    )


def custom_keys_query(selection: Selection) -> sql.Composed:
    """Every custom-field key present in the selected contacts (for ``custom.*``)."""
    return sql.SQL(
        "SELECT DISTINCT k FROM {src} CROSS JOIN LATERAL jsonb_object_keys(c.custom_fields) AS k{where} ORDER BY k"
    ).format(src=selection.from_clause(), where=selection.where_clause())


def copy_statement(select: sql.Composable, options: FormatOptions) -> sql.Composed:
    """``COPY (select) TO STDOUT`` in CSV with the chosen delimiter; no header (written by Python)."""
    force_quote = sql.SQL(", FORCE_QUOTE *") if options.quote_all else sql.SQL("")
    return sql.SQL(
        "COPY ({select}) TO STDOUT (FORMAT csv, DELIMITER {delimiter}, ENCODING 'UTF8'{fq})"
    ).format(select=select, delimiter=sql.Literal(options.delimiter), fq=force_quote)
