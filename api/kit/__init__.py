"""Small building blocks shared by the domains: types, time, pagination, idempotency."""
