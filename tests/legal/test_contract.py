"""The contract text on its own: exact amounts, and the same bytes from the same inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from api.legal.contract import ContractInputs, Party, render_contract
from api.legal.models import UsageRights


def _inputs(**overrides) -> ContractInputs:
    fields = {
        "brand": Party(name="B", wallet="0x" + "11" * 20, legal_name="B SAS", tax_country="FR"),
        "creator": Party(name="C (@c)", wallet="0x" + "22" * 20),
        "is_virtual": False,
        "operator": None,
        "retouched_images": False,
        "countries": ["FR"],
        "deliverables": [{"platform": "tiktok", "format": "short", "count": 3}],
        "amount": 10**18 + 7,
        "token": "ETH",
        "deliver_by": datetime(2027, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
        "review_period_seconds": 3 * 86_400,
        "platform_fee_bps": 100,
    }
    return ContractInputs(**fields | overrides)


def test_amounts_are_exact_to_the_wei_and_the_cent() -> None:
    text = render_contract(_inputs(eur_per_eth=Decimal("3123.45")))
    assert "Montant / Amount: 1000000000000000007 wei (1.000000000000000007 ETH)" in text
    assert "Euro equivalent at the offer: 3123.45 EUR (3123.45 EUR/ETH)" in text
    largest = render_contract(_inputs(amount=10**30, eur_per_eth=Decimal("0.01")))
    assert f"{10**30} wei (1000000000000 ETH)" in largest
    assert "10000000000.00 EUR" in largest
    stablecoin = render_contract(_inputs(token="0x" + "33" * 20, amount=2_500_000_003))
    assert f"2500000003 (plus petite unité / smallest unit of token 0x{'33' * 20})" in stablecoin
    assert "Euro equivalent at the offer: inconnu / unknown" in stablecoin


def test_the_same_terms_give_the_same_bytes() -> None:
    """The hash of the text is signed: a stored datetime read back naive, or in another zone,
    must give the text the creator signed."""
    signed = render_contract(_inputs(usage_rights=UsageRights(duration_days=30)))
    moment = datetime(2027, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    for deliver_by in (
        moment.replace(tzinfo=None),
        moment.astimezone(timezone(timedelta(hours=2))),
    ):
        again = _inputs(usage_rights=UsageRights(duration_days=30), deliver_by=deliver_by)
        assert render_contract(again) == signed
    assert "Deliver by: 2027-01-02 03:04:05 UTC" in signed
