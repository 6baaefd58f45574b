"""A Babel extractor for admin/labels.py (babel.cfg): its `_()` markers as Python, plus every
label the pages make at run time from a name nobody declared (labels.column's humanize fallback:
service_from -> "Service from") and every function's title, so the catalogue holds what a list,
a form or the menu can show. The names: every table column (radbill.models) and every
registered function's parameters, as each function would label them."""
from __future__ import annotations

from babel.messages.extract import extract_python


def dynamic_labels() -> set[str]:
    from radbill.functions.registry import REGISTRY, load_all
    from radbill.models import Base

    from admin import labels
    load_all()
    names = {c.name for t in Base.metadata.tables.values() for c in t.columns}
    names |= {p.name for fn in REGISTRY.values() for p in fn.params}
    out = {labels.title(f) for f in REGISTRY}
    for n in names:
        out.add(labels.column(n))
        out.update(labels.column(n, f) for f in REGISTRY)
    return {t for t in out if t and any(ch.isalpha() for ch in t)}


def extract(fileobj, keywords, comment_tags, options):
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for text in sorted(dynamic_labels()):
        yield 0, None, text, []
