"""French commercial-influence law (loi n° 2023-451) and EU rules, as data and contract text."""
