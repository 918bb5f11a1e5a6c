"""Words the report shows, in Danish and English: benefit groups, states, indicators, goals.

Benefit groups are the ones a Danish employment committee reads (Jobindsats'
ydelsesgrupper, with kontanthjælp split by visitation as after the 2014 reform). State
labels come from the national data file (sim/data/states.toml) so the report and the
model never disagree on a name.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "states.toml"

# group key -> (states, Danish label, English label). Order = order in every chart and table.
GROUPS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "dagpenge": (("dagpenge", "arbejdsmarkedsydelse"),
                 "A-dagpenge og arbejdsmarkedsydelse", "Unemployment insurance (incl. MAY)"),
    "kontanthjaelp_jobparat": (("kontanthjaelp_jobparat",),
                               "Kontanthjælp, jobparate", "Social assistance, job-ready"),
    "kontanthjaelp_aktivitetsparat": (("kontanthjaelp_aktivitetsparat",),
                                      "Kontanthjælp, aktivitetsparate",
                                      "Social assistance, not job-ready"),
    "uddannelseshjaelp": (("uddannelseshjaelp_uddannelsesparat", "uddannelseshjaelp_aktivitetsparat"),
                          "Uddannelseshjælp", "Education benefit"),
    "sygedagpenge": (("sygedagpenge",), "Sygedagpenge", "Sickness benefit"),
    "jobafklaring_ressource": (("jobafklaringsforloeb", "ressourceforloeb"),
                               "Jobafklarings- og ressourceforløb",
                               "Job clarification and resource courses"),
    "fleksjob": (("fleksjob", "ledighedsydelse"), "Fleksjob og ledighedsydelse",
                 "Flex jobs and flex-job waiting benefit"),
    "foertidspension": (("foertidspension",), "Førtidspension", "Disability pension"),
    "integration": (("integration",), "Integrationsprogram", "Integration programme"),
}

INDICATORS = {
    "under_30_public_support": ("Unge under 30 år på offentlig forsørgelse",
                                "Under-30s on public support"),
    "long_term_unemployed": ("Langtidsledige", "Long-term unemployed"),
    "sygedagpenge_over_26_weeks": ("Sygedagpengeforløb over 26 uger",
                                   "Sickness-benefit spells over 26 weeks"),
    "company_placements": ("Virksomhedsplaceringer (bestand)", "Company placements (stock)"),
    "ressourceforloeb": ("Ressourceforløb", "Resource courses"),
    "public_support": ("Personer på offentlig forsørgelse", "Persons on public support"),
    "population": ("Befolkning i den erhvervsaktive alder", "Working-age population"),
    "lost_dagpenge_in_year": ("Personer der mistede dagpengeretten i året",
                              "Persons losing the right to dagpenge in the year"),
    "company_placement_starts_in_year": ("Nye virksomhedsplaceringer i året",
                                         "Company placements started in the year"),
}

STATUS = {  # goal status (sim.outputs.metrics, as a CSS class: sim.report.goals.css) -> (Danish, English)
    "met": ("Nås", "Met"),
    "at_risk": ("I fare", "At risk"),
    "missed": ("Nås ikke", "Missed"),
    "not_simulated": ("Kan ikke vurderes", "Cannot be judged"),
}

FLOWS = {  # flow category -> (Danish, English)
    "inflow": ("Tilgang til offentlig forsørgelse", "Inflow to public support"),
    "to_job": ("Afgang til job (selvforsørgelse)", "Outflow to work (self-support)"),
    "to_education": ("Afgang til uddannelse", "Outflow to education"),
    "to_other_benefit": ("Skift til en anden ydelse", "Move to another benefit"),
    "to_outside": ("Ud af kommunen, folkepension eller død",
                   "Left: moved away, state pension or death"),
}

INFLOWS = {  # inflow names of scenario files -> (Danish, English); others are shown as written
    "turning_18": ("Unge der fylder 18 år", "Young people turning 18"),
    "moving_in": ("Tilflyttere", "People moving in"),
    "refugees": ("Flygtninge og familiesammenførte", "Refugees and family-reunified"),
}

TOTAL = ("Offentlig forsørgelse i alt", "Total on public support")


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "da" else pair[1]


@lru_cache(maxsize=1)
def _states() -> dict:
    with open(DATA, "rb") as f:
        return tomllib.load(f)["states"]


def state(name: str, lang: str = "da") -> str:
    """The state's label from sim/data/states.toml; an unknown name is shown as it is."""
    s = _states().get(name)
    if s is None:
        return name
    return s["label_da"] if lang == "da" else s["label_en"]


def public_support_states() -> tuple[str, ...]:
    return tuple(n for n, s in _states().items() if s.get("public_support"))


def group(key: str, lang: str = "da") -> str:
    _, da, en = GROUPS[key]
    return da if lang == "da" else en


def group_of(state_name: str) -> str | None:
    for key, (states, _, _) in GROUPS.items():
        if state_name in states:
            return key
    return None


def indicator(key: str, lang: str = "da") -> str:
    return pick(INDICATORS[key], lang) if key in INDICATORS else key


def inflow(name: str, lang: str = "da") -> str:
    return pick(INFLOWS[name], lang) if name in INFLOWS else name
