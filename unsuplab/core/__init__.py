"""Contracts shared by every part of the lab: config fields, payloads, experiments, the run loop."""
