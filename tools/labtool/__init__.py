"""Deterministic lab-value interpretation. Pure: imports nothing from `assistant`."""
