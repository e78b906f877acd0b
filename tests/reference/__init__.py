"""Readable versions of production operations and helpers with no production caller: oracles for the tests."""
