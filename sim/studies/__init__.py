"""Studies built on runs: scenario comparison, cohorts, virtual trials."""
