"""Matching quality through the API, as a brand and its creators would see it.

    python bench/matching_api.py            # the second tuning set and the acceptance set

Every creator of a free-text set registers with its own words (``POST /v1/creators``), every
brand with its description, values and practices (``POST /v1/brands``), every brief is posted
(``POST /v1/requests``, target values or none) and its first 10 matches are read back
(``GET /v1/requests/{id}/matches``). NDCG@10, forbidden creators in a top 10 and phrases the API
refused, as ``bench/matching_quality.py`` prints them for the engine alone: the two should
agree, and a gap between them is a difference between the API's reading and the bench's.
A local chain runs (the API needs one); SQLite in a temporary folder.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.core.migrate import upgrade  # noqa: E402
from api.core.settings import Settings  # noqa: E402
from contracts.localchain import Anvil  # noqa: E402
from tests.factories import Actor, brand_body, creator_body, future, request_body  # noqa: E402
from tests.matching import devset  # noqa: E402

SETS = {
    "tuning 2": ROOT / "tests" / "matching" / "data" / "dev2",
    "acceptance": ROOT / "tests" / "matching" / "data" / "acceptance",
}
K = 10


def _register(client: TestClient, url: str, body: dict, refused: list[str]) -> Actor | None:
    response = client.post(url, json=body)
    if response.status_code != 201:
        refused.append(f"{url} {response.status_code}: {response.text[:200]}")
        return None
    return Actor(client, response.json())


def _creator(raw: dict) -> dict:
    return creator_body(
        display_name=raw["display_name"],
        bio=raw.get("bio", ""),
        is_virtual=raw["is_virtual"],
        languages=raw["languages"],
        values=raw["values"],
        dealbreakers=raw["dealbreakers"],
        audience={
            platform: {
                "followers": a["followers"],
                "engagement_rate": a["engagement_rate"],
                "countries": a["countries"],
            }
            for platform, a in raw["platforms"].items()
        },
        min_fees=[{"amount": str(devset_wei(raw["min_fee_eth"])), "token": "ETH"}],
        operator="Studio" if raw["is_virtual"] else None,
    )


def devset_wei(eth: str) -> int:
    whole, _, frac = eth.partition(".")
    return int(whole or 0) * 10**18 + int((frac + "0" * 18)[:18] or 0)


def _brief(raw: dict) -> dict:
    body = request_body(
        title=raw["title"],
        description=raw["description"],
        lang=raw["lang"],
        budget={"amount": str(devset_wei(raw["budget_eth"])), "token": "ETH"},
        deadline=future(30),
        audience={},
    )
    if raw["target_values"] is not None:
        body["target_values"] = raw["target_values"]
    return body


def measure(client: TestClient, folder: Path) -> dict:
    creators = json.loads((folder / "creators.json").read_text("utf-8"))["creators"]
    briefs = json.loads((folder / "briefs.json").read_text("utf-8"))["briefs"]
    refused: list[str] = []
    ids: dict[str, str] = {}  # API id -> set id
    for raw in creators:
        actor = _register(client, "/v1/creators", _creator(raw), refused)
        if actor is not None:
            ids[actor.id] = raw["creator_id"]
    scores: dict[str, list[float]] = {"fr": [], "en": []}
    forbidden: list[str] = []
    for raw in briefs:
        brand = _register(
            client,
            "/v1/brands",
            brand_body(
                name=raw["brand_name"],
                description=raw["brand_description"],
                values=raw["brand_values"],
                practices=raw["brand_practices"],
            ),
            refused,
        )
        response = brand.post("/v1/requests", json=_brief(raw)) if brand else None
        if response is None or response.status_code != 201:
            refused.append(f"brief {raw['brief_id']}: {response.text[:200] if response else ''}")
            scores[raw["lang"]].append(0.0)
            continue
        url = f"/v1/requests/{response.json()['id']}/matches?limit={K}"
        items = brand.get(url).json()["items"]
        ranked = [ids[m["creator"]["id"]] for m in items if m["creator"]["id"] in ids]
        excluded = set(raw["must_exclude"])
        forbidden += [f"{raw['brief_id']}:{c}" for c in ranked if c in excluded]
        every = {c["creator_id"] for c in creators}
        scores[raw["lang"]].append(devset.ndcg_at(ranked, raw["relevance"], every - excluded, K))
    return {"ndcg": scores, "forbidden": forbidden, "refused": refused, "briefs": len(briefs)}


def _settings(url: str, rpc_url: str) -> Settings:
    return Settings(
        database_url=url,
        chain_rpc_url=rpc_url,
        operator_api_key="operator-bench-key-0123456789",
        secret_key="bench-secret-key-0123456789",
        indexer_enabled=False,
        worker_enabled=False,
        rate_limits_enabled=False,
        _env_file=None,
    )


def main() -> int:
    print(f"{'set':<12}{'briefs':>7}{'NDCG@10 fr':>12}{'en':>7}{'all':>7}{'forbidden':>11}")
    with Anvil() as anvil:
        for name, path in SETS.items():
            with tempfile.TemporaryDirectory() as folder:  # one database a set
                url = f"sqlite:///{Path(folder) / 'collab.db'}"
                upgrade(url)
                with TestClient(create_app(_settings(url, anvil.rpc_url))) as client:
                    r = measure(client, path)
            fr, en = (statistics.mean(r["ndcg"][lang]) for lang in ("fr", "en"))
            print(
                f"{name:<12}{r['briefs']:>7}{fr:>12.3f}{en:>7.3f}{(fr + en) / 2:>7.3f}"
                f"{len(r['forbidden']):>11}",
                flush=True,
            )
            for line in r["refused"] + r["forbidden"]:
                print("   ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
