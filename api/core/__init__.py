"""Cross-cutting parts of the service: settings, database, errors, auth, OpenAPI, limits,
start-up checks and the deployment context."""
