"""The TOML of the tests' toy models (test_analytic, tiny_model, test_event_log), in pieces.

Scenario pieces are ``str.format`` templates, as the models' ``SCENARIO`` strings are:
literal braces doubled, ``{n}`` (the initial stock) and rate fields filled by the caller.
"""

from __future__ import annotations


def state(key: str, label_da: str, label_en: str, public: bool, unemployed: bool,
          absorbing: bool = False) -> str:
    lines = [f"[states.{key}]", f'label_da = "{label_da}"', f'label_en = "{label_en}"',
             f"public_support = {str(public).lower()}", f"unemployed = {str(unemployed).lower()}"]
    if absorbing:
        lines.append("absorbing = true")
    return "\n".join(lines) + "\n"


EMPLOYED = state("employed", "Selvforsørgende", "Employed", False, False)
DAGPENGE = state("dagpenge", "A-dagpenge", "UI", True, True)
OUTSIDE = state("outside", "Udenfor", "Outside", False, False, absorbing=True)


def people(age_lower: list[int]) -> str:
    """Age bands from ``age_lower``, one education level, the long-term definition."""
    return f"""[age_bands]
unit = "years"
lower = {age_lower}
source = "test"
[education]
levels = ["basic"]
source = "test"
[long_term_unemployment]
share = 0.8
window_weeks = 52
unit = "share of window"
source = "test"
"""


# the state pension (everyone leaves at 65) and the dagpenge re-earning rule
PENSION_LAW = """
[rules.state_pension]
label = "pension"
states = ["*"]
clock = "pension_age"
unit = "years"
source = "test"
then = [{ from = 1900-01-01, shares = { outside = 1.0 } }]
[pension_age]
unit = "years"
source = "test"
by_birth_date = 65
[dagpenge]
unit = "weeks"
reearning_weeks = 52
source = "test"
"""

_STOCK = """
[scenario]
name = "NAME"
municipality = "test"
start = 2015-01-01
[population.stocks.STATE]
value = {n}
unit = "persons"
source = "test"
[population.age_shares]
unit = "share"
source = "test"
STATE = {{ "BAND" = 1.0 }}
[population.education_shares]
unit = "share"
source = "test"
STATE = {{ basic = 1.0 }}
[population.insured_shares]
unit = "share"
source = "test"
STATE = 1.0
[population.education_on_leaving]
unit = "share"
source = "test"
shares = {{ basic = 1.0 }}
"""

_REST = """[exits]
[inflows]
[activation.places]
unit = "places"
source = "test"
PLACES[activation.policy]
[business_cycle]
measure = "test"
unit = "persons"
base_year = 2015
source = "test"
values = {{ "2015" = 1 }}
"""


def scenario(name: str, stock: str, band: str, hazards: list[tuple[str, str, str]],
             places: str = "", hazard_source: str = "test") -> str:
    """A scenario template: ``{n}`` people in ``stock`` (all in age band ``band``, insured,
    basic education), the ``hazards`` (from, to, rate: a number or a ``{field}``), the
    ``places`` lines (``name = count``) and no inflows, exits or policy."""
    text = _STOCK.replace("NAME", name).replace("STATE", stock).replace("BAND", band)
    for frm, to, rate in hazards:
        text += f'[hazards.{frm}.{to}]\nunit = "per week"\nrate = {rate}\nsource = "{hazard_source}"\n'
    return text + _REST.replace("PLACES", places)
