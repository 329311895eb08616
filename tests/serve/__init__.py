"""Tests of the serving stage (real servers on loopback)."""
