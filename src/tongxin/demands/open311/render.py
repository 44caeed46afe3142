"""Open311 GeoReport v2 responses in JSON and XML, with the spec's error format.

The spec (http://wiki.open311.org/GeoReport_v2, "Format Support", "Errors"): XML is
required and JSON optional — both are served, chosen by the resource's extension
(`/services.xml`, `/services.json`); UTF-8 everywhere, the XML preceded by its declaration
with encoding="UTF-8". An error answers the HTTP status and a list of
{"code", "description"}: `[{"code": 403, "description": "…"}]` in JSON,
`<errors><error><code>403</code><description>…</description></error></errors>` in XML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# the element of each item of a list, by the list's element (the spec's XML samples)
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


# characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """`value` (dicts, lists, scalars) under the element `root`; None is an empty element."""
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def respond(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """The document in the asked format: JSON is `value` itself (a list of requests is a JSON
    array), XML wraps it in `root` (<service_requests><request>…)."""
    if fmt == "xml":
        body = to_xml(root, value)
    else:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8", "replace")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str] | str) -> HttpResponse:
    """The spec's error document: every problem as {"code": status, "description": text}."""
    if isinstance(descriptions, str):
        descriptions = [descriptions]
    items = [{"code": status, "description": str(d)} for d in descriptions]
    return respond(fmt if fmt in FORMATS else "json", "errors", items, status=status)
