"""The operator's rules editor (static/js/ops/hours.js) offers every service rule, with a German
and an English label: a rule added to ServiceRules without a field in the dashboard fails here."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ride_pool.dispatch.rules import ServiceRules

STATIC = Path(__file__).resolve().parents[1] / "ride_pool" / "web" / "static" / "js"
#: edited elsewhere on the same tab (hours per weekday, days without service) or fixed per deployment
NOT_IN_THE_LIST = {"timezone", "operating_hours", "holidays"}


def test_every_rule_has_a_field_and_labels():
    editor = (STATIC / "ops" / "hours.js").read_text(encoding="utf-8")
    editor = editor[editor.index("export const RULES = ["):]
    editor = editor[:editor.index("];")]
    listed = re.findall(r'\["([a-z_]+)", "(?:min|h|d|s|sx|n|x|m|hhmm|choice|state|json)"\]', editor)
    rules = {f.name for f in dataclasses.fields(ServiceRules)} - NOT_IN_THE_LIST
    assert set(listed) == rules, (rules - set(listed), set(listed) - rules)
    labels = "".join(p.read_text(encoding="utf-8") for p in (STATIC / "i18n").glob("*.js"))
    for name in rules:
        assert labels.count(f'"ops.rule.{name}":') == 2, name       # German and English
