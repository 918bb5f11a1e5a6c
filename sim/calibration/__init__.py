"""Calibration, validation and sensitivity analysis (see docs/calibration.md)."""
