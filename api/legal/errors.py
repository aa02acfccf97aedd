"""Problems the law raises: each names the rule it applies."""

from __future__ import annotations

from api.core.errors import ProblemError


class ProhibitedCategory(ProblemError):
    status, type, title = 422, "prohibited-category", "Category may not be promoted there"


class ContractIdentityMissing(ProblemError):
    status, type, title = 422, "contract-identity-missing", "The written contract lacks identities"
