"""The local stack and what drives it: demo, dev wallet, deal driver. Not used by the service."""
