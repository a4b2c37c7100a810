"""Simulation of the tests' size and power (Brown and Warner 1985 designs)."""
