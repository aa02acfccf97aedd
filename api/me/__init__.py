"""The caller's personal data: export, erasure and the retention rule."""
