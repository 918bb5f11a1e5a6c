"""Running replications: the runner, its executors, checkpoints and the output store."""
