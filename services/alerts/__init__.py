"""Spike alerts: counts of the inbound stream in short windows against their baseline."""
