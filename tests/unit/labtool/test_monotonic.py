"""Property: the category never improves as a deficiency marker falls (B12, holoTC,
folate, ferritin, Hb) and never improves as MMA or EPO rises.

"Better" is this test's own ordering of each vocabulary (worst first), written from the
clinical meaning of the categories, not taken from the rules file.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.rules import RuleSet

WORST_FIRST = {
    "b12": ["deficient", "indeterminate", "unlikely"],
    "holotc": ["deficient", "indeterminate", "unlikely"],
    "folate": ["deficient", "possible_deficiency", "not_deficient"],
    "ferritin": ["iron_deficient", "not_iron_deficient"],
    "hb": ["anaemia_severe", "anaemia_moderate", "anaemia_mild", "no_anaemia"],
    "mma": ["elevated", "not_elevated"],
    "epo": ["elevated", "not_elevated"],
}
# (alias, unit, context words, lowest and highest plausible value, higher is better?)
MARKERS = {
    "b12": ("B12", "ng/L", "", 1, 3000, True),
    "b12-pmol": ("B12", "pmol/L", "", 1, 2000, True),
    "holotc": ("holoTC", "pmol/L", "", 1, 300, True),
    "folate": ("folate", "nmol/L", "", 1, 60, True),
    "folate-ug": ("folate", "µg/L", "", 1, 30, True),
    "ferritin": ("ferritin", "µg/L", ", adult, CRP 1 mg/L", 1, 500, True),
    "ferritin-inflamed": ("ferritin", "µg/L", ", adult, CRP 30 mg/L", 1, 500, True),
    "hb-woman": ("Hb", "g/L", ", woman aged 40, not pregnant", 30, 250, True),
    "hb-man": ("Hb", "g/L", ", man aged 40", 30, 250, True),
    "hb-t2": ("Hb", "g/L", ", pregnant, second trimester", 30, 250, True),
    "hb-gdl": ("Hb", "g/dL", ", man aged 40", 3, 25, True),
    "mma": ("MMA", "nmol/L", "", 1, 5000, False),
    "epo": ("EPO", "mU/mL", ", lower-risk MDS", 1, 5000, False),
}


def _rank(rules: RuleSet, text: str, analyte: str) -> int:
    (finding,) = interpret(text, rules).findings
    return WORST_FIRST[analyte].index(finding.category)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_category_is_monotonic_in_the_value(real_rules: RuleSet, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(MARKERS)))
    alias, unit, context, low, high, higher_is_better = MARKERS[name]
    analyte = name.split("-")[0]
    values = st.decimals(min_value=low, max_value=high, places=1, allow_nan=False)
    a, b = sorted((data.draw(values), data.draw(values)))
    assume(a < b)

    lower = _rank(real_rules, f"{alias} {a} {unit}{context}", analyte)
    upper = _rank(real_rules, f"{alias} {b} {unit}{context}", analyte)

    if higher_is_better:
        assert lower <= upper, (a, b)
    else:
        assert lower >= upper, (a, b)
