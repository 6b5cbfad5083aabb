"""The published language between Tandem's domains: the events one domain publishes for the
others, each a versioned, schema'd contract (`schedule.py`: what schedule publishes).

A domain may import this package and `functions.common` only, never another domain. The JSON
Schema of every event is committed under `contracts/` (`make contracts` writes them); a test
fails when the code and the committed schemas differ, and the producer's and each consumer's
tests check what they send and accept against the committed files.
"""
