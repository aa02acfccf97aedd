"""The chain as the service sees it: the client, the indexer and the tables it owns."""
