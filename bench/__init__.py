"""The benchmark harness (seed, load, comparison with the ceiling); not part of the test suite."""
