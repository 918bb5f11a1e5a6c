"""The model's mechanisms, engine-independent: hazards, the law, activation, the population, random streams, benefit rates."""
