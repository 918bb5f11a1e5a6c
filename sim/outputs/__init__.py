"""What a run's records become: tables, costs, plan goals, invariant checks."""
