"""Measurements: bench, load, eval, their scripted callers and reports."""
