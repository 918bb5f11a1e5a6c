"""Render the report page from its context with Jinja2, autoescape on for every value.

Autoescape is not optional here: scenario names, sources and table cells come from
files users edit, and a name like ``<script>`` must show as text. The template and its
CSS are package data (sim/report/templates); the page loads nothing from the network.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment() -> Environment:
    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(context: dict) -> str:
    return environment().get_template("report.html.j2").render(**context)
