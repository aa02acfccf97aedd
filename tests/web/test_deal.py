"""A whole deal in the browser, both sides, each with its own wallet: the brand posts a request
and sends an offer; the creator signs in, reads the contract and signs the terms; the brand
funds; the creator delivers; the brand approves; the creator sees the payout, exact to the wei."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
from eth_account import Account
from playwright.sync_api import expect

from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS
from tests.e2e.conftest import BRAND, LUNA
from tests.e2e.flow import Flow, ok
from tests.web.conftest import EXPLORER_URL, snapshot

BRAND_KEY_INDEX, CREATOR_KEY_INDEX = 1, 2
AMOUNT_WEI = 2 * 10**17  # 0.2 ETH
PLATFORM_FEE_BPS = 100


def expected_creator_payout(split: dict) -> int:
    """What the escrow pays the creator: its share of the amount after the fee, plus the dust."""
    after_fee = AMOUNT_WEI - AMOUNT_WEI * PLATFORM_FEE_BPS // 10_000
    others = [p["share_bps"] for p in split["designers"] + split["charities"]]
    return after_fee - sum(after_fee * bps // 10_000 for bps in others)


def sign_in(page) -> None:
    page.goto("/")
    page.locator("#sign-in").click()
    page.wait_for_url(re.compile(r"/(offers|requests)$"))


def wait_for_status(page, status: str) -> None:
    # The page reloads itself once the indexer has applied the transaction's event.
    expect(page.locator("#collaboration")).to_have_attribute("data-status", status, timeout=60_000)


def test_a_deal_from_both_sides(open_wallet, web_stack):
    brand, brand_wallet = open_wallet(BRAND_KEY_INDEX)
    creator, creator_wallet = open_wallet(CREATOR_KEY_INDEX, locale="fr-FR")

    # The brand signs in with its wallet (EIP-4361) and posts a request.
    sign_in(brand)
    expect(brand.locator("header")).to_contain_text("Douce Nature")
    form = brand.locator("#new-request")
    form.get_by_label("Title").fill("Rouge à lèvres vegan")
    form.get_by_label("Description").fill(
        "Nous lançons un rouge à lèvres vegan, sans test sur les animaux. Nous cherchons des "
        "créateurs engagés pour la cause animale."
    )
    form.get_by_label("Budget").fill("0.5")
    deadline = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    form.get_by_label("Deadline").fill(deadline)
    form.get_by_label("Format").select_option("reel")
    form.get_by_label("Languages").fill("fr")
    form.get_by_role("button", name="Submit").click()
    brand.wait_for_url(re.compile(r"/requests/req_"))

    # Ranked matches with their explanation; the brand offers 0.2 ETH to Luna Verde.
    luna = brand.locator('li.match[data-creator="luna_verde"]')
    expect(luna).to_contain_text("Luna Verde")
    snapshot(brand, "brand-matches")
    luna.get_by_label("Amount (ETH)").fill("0.2")
    luna.get_by_label("Your terms").fill("Deux reels, publiés avant la date limite.")
    luna.get_by_role("button", name="Send an offer").click()
    brand.wait_for_url(re.compile(r"/offers/off_"))
    expect(brand.locator("#offer-status")).to_have_attribute("data-status", "sent")
    expect(brand.locator("#offer-status")).to_have_text("sent")
    offer_url = brand.url

    # The creator (her browser in French) signs in, reads the contract and signs the terms.
    sign_in(creator)
    expect(creator.get_by_role("heading", level=1)).to_have_text("Boîte de réception")
    creator.goto(offer_url)
    expect(creator.locator("#offer-amount")).to_have_text("0.2 ETH")
    expect(creator.locator("#offer-amount .money")).to_have_attribute(
        "title", re.compile("^200000000000000000 ")
    )
    expect(creator.locator("pre.contract")).to_contain_text("Collaboration commerciale")
    expect(creator.locator("#fit")).to_contain_text("Partage les valeurs")
    snapshot(creator, "creator-offer")
    creator.locator("#accept").click()
    creator.wait_for_url(re.compile(r"/collaborations/col_"))
    wait_for_status(creator, "drafted")
    expect(creator.locator("#collaboration-status")).to_have_text("signée, à financer")
    assert "eth_signTypedData_v4" in creator_wallet.calls
    collaboration_url = creator.url

    # The brand funds the escrow from its wallet; the page shows the transaction pending until
    # the indexer confirms it.
    brand.goto(collaboration_url)
    brand.locator("#fund").click()
    wait_for_status(brand, "funded")
    assert "eth_sendTransaction" in brand_wallet.calls

    # The creator delivers, the brand approves: the escrow pays every payee.
    creator.goto(collaboration_url)
    creator.get_by_label("Lien vers le travail livré").fill("https://instagram.com/p/luna-reel")
    creator.locator("#deliver").click()
    wait_for_status(creator, "delivered")
    brand.goto(collaboration_url)
    brand.locator("#approve").click()
    wait_for_status(brand, "released")
    links = brand.locator("#transactions a")
    listed = brand.locator("#transactions li").all_inner_texts()
    # escrow v2: the approval pays out at once, no Released follows it
    assert [text.split(":")[0] for text in listed] == ["fund", "deliver", "approve"]
    expect(links).to_have_count(len(listed))
    tx = re.compile(rf"^{re.escape(EXPLORER_URL)}/tx/0x[0-9a-fA-F]{{64}}$")
    for link in links.all():
        expect(link).to_have_attribute("href", tx)
    snapshot(brand, "brand-released")

    # The creator sees the payout, to the wei, on her payouts page.
    split = httpx.get(f"{web_stack.base_url}/v1/me", headers=LUNA).json()["split"]
    expected = expected_creator_payout(split)
    creator.goto("/payouts")
    paid = creator.locator("#payout-list .money").first
    expect(paid).to_have_attribute("title", re.compile(f"^{expected} "))
    expect(creator.locator("#totals")).to_contain_text("ETH")
    snapshot(creator, "creator-payouts")


def test_a_wallet_on_another_network_is_asked_to_switch(open_wallet):
    page, wallet = open_wallet(CREATOR_KEY_INDEX)
    wallet.chain_id = 1  # Ethereum mainnet, not the deployment's chain
    page.goto("/")
    banner = page.locator("#network")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Switch network").click()
    expect(banner).to_be_hidden()
    assert wallet.chain_id == 31337


def test_a_refused_signature_shows_the_problem_and_signs_nobody_in(open_wallet):
    page, wallet = open_wallet(BRAND_KEY_INDEX)
    wallet.refused.add("personal_sign")
    page.goto("/")
    page.locator("#sign-in").click()
    problem = page.get_by_role("alert").filter(has_text="personal_sign")
    expect(problem).to_contain_text("User rejected the request.")
    expect(page.locator("#sign-in")).to_be_enabled()
    page.goto("/offers")
    assert page.url.endswith("/")  # not signed in: back home


def test_an_offer_below_the_creators_fee_shows_the_apis_problem(open_wallet):
    page, _ = open_wallet(BRAND_KEY_INDEX)
    sign_in(page)
    page.goto("/requests")
    form = page.locator("#new-request")
    form.get_by_label("Title").fill("Baume à lèvres")
    form.get_by_label("Description").fill("Un baume vegan, jamais testé sur les animaux.")
    form.get_by_label("Budget").fill("0.5")
    form.get_by_label("Deadline").fill((datetime.now(UTC) + timedelta(days=40)).date().isoformat())
    form.get_by_label("Languages").fill("fr")
    form.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/requests/req_"))
    luna = page.locator('li.match[data-creator="luna_verde"]')
    luna.get_by_label("Amount (ETH)").fill("0.001")  # her minimum is 0.05 ETH
    luna.get_by_role("button", name="Send an offer").click()
    problem = page.locator("#problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("minimum")


def test_a_newcomer_registers_as_a_creator_from_the_app(open_wallet):
    page, wallet = open_wallet(3)  # a development wallet with no account yet
    page.goto("/")
    page.locator("#sign-in").click()
    page.get_by_role("link", name="Create an account").click()
    form = page.locator('form[action="/register/creator"]')
    form.get_by_label("Handle").fill("ana_draws")
    form.get_by_label("Display name").fill("Ana Duarte")
    form.get_by_label("Values (one per line, your own words)").fill("animal welfare\nzero waste")
    form.get_by_label("Dealbreakers (one per line)").fill("fur")
    form.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/offers$"))
    expect(page.locator("header")).to_contain_text("Ana Duarte")
    page.goto("/profile")
    expect(page.locator("main")).to_contain_text("« fur »")
    assert wallet.address in page.locator("header").inner_html()


def test_a_stablecoin_deal_is_funded_with_its_approval_first(open_wallet, web_stack):
    amount = 200 * 10**6  # 200 units of the 6-decimal test stablecoin; Luna asks at least 150
    coin = bindings.Erc20(web_stack.w3, web_stack.deployment.stablecoin_address)
    brand_key = DEV_PRIVATE_KEYS[BRAND_KEY_INDEX]
    bindings.send(
        web_stack.w3, coin.build_mint(Account.from_key(brand_key).address, amount), brand_key
    )
    brand, brand_wallet = open_wallet(BRAND_KEY_INDEX)
    creator, _ = open_wallet(CREATOR_KEY_INDEX)
    sign_in(brand)
    form = brand.locator("#new-request")
    form.get_by_label("Title").fill("Crème vegan")
    form.get_by_label("Description").fill("Une crème vegan, jamais testée sur les animaux.")
    form.get_by_label("Budget").fill("300")
    form.get_by_label("Currency").select_option(web_stack.deployment.stablecoin_address)
    form.get_by_label("Deadline").fill((datetime.now(UTC) + timedelta(days=40)).date().isoformat())
    form.get_by_label("Languages").fill("fr")
    form.get_by_role("button", name="Submit").click()
    brand.wait_for_url(re.compile(r"/requests/req_"))
    luna = brand.locator('li.match[data-creator="luna_verde"]')
    luna.get_by_label("Amount").fill("200")
    luna.get_by_role("button", name="Send an offer").click()
    brand.wait_for_url(re.compile(r"/offers/off_"))
    expect(brand.locator("#offer-amount .money")).to_have_attribute(
        "title", re.compile(f"^{amount} ")
    )
    offer_url = brand.url

    sign_in(creator)
    creator.goto(offer_url)
    creator.locator("#accept").click()
    creator.wait_for_url(re.compile(r"/collaborations/col_"))

    brand.goto(creator.url)
    escrow_before = coin.balance_of(web_stack.deployment.escrow_address)
    sent_before = brand_wallet.calls.count("eth_sendTransaction")
    brand.locator("#fund").click()
    wait_for_status(brand, "funded")
    # Two transactions from the wallet: the token approval, then createDeal.
    assert brand_wallet.calls.count("eth_sendTransaction") - sent_before == 2
    assert coin.balance_of(web_stack.deployment.escrow_address) - escrow_before == amount


def test_a_creator_without_eth_delivers_by_signature(open_wallet, web_stack):
    # The deal up to funding over the API (the browser side of it is the test above).
    with httpx.Client(base_url=web_stack.base_url, timeout=30) as http:
        flow = Flow(http, web_stack.w3)
        flow.offer_and_accept(amount=AMOUNT_WEI)
        flow.act(BRAND, "fund", DEV_PRIVATE_KEYS[BRAND_KEY_INDEX])
        flow.wait("funded")
        split = ok(http.get("/v1/me", headers=LUNA))["split"]
    creator_address = Account.from_key(DEV_PRIVATE_KEYS[CREATOR_KEY_INDEX]).address
    w3 = web_stack.w3
    before = w3.eth.get_balance(creator_address)
    w3.provider.make_request("anvil_setBalance", [creator_address, "0x0"])
    try:
        creator, creator_wallet = open_wallet(CREATOR_KEY_INDEX, locale="fr-FR")
        sign_in(creator)
        creator.goto(f"/collaborations/{flow.collaboration_id}")
        # No ETH in the wallet: the signature is the form's default, the transaction stays.
        expect(creator.locator("#no-eth")).to_be_visible()
        expect(creator.locator("#no-eth")).to_contain_text("ne contient pas d'ETH")
        buttons = creator.locator("#deliver-form button[type=submit]")
        expect(buttons.first).to_have_id("deliver-signed")
        expect(buttons.first).to_have_class("primary")
        expect(creator.locator("#deliver")).to_be_enabled()
        creator.get_by_label("Lien vers le travail livré").fill("https://instagram.com/p/luna-sig")
        # A wallet that signs with another key: the relay refuses, the page shows its problem.
        creator_wallet.next_answer["eth_signTypedData_v4"] = lambda params: (
            bindings.sign_typed_data(json.loads(params[1]), DEV_PRIVATE_KEYS[BRAND_KEY_INDEX])
        )
        creator.get_by_role("button", name="Livrer sans ETH").click()
        problem = creator.locator("#problem")
        expect(problem).to_contain_text("Invalid input")
        expect(problem).to_contain_text("not the creator wallet's signature of this delivery")
        expect(creator.locator("#deliver-signed")).to_be_enabled()
        assert creator.locator("#collaboration").get_attribute("data-status") == "funded"
        # Signed by the creator's wallet, the relayer sends it.
        creator.get_by_role("button", name="Livrer sans ETH").click()
        expect(creator.locator("#pending")).to_contain_text("Transaction en attente 0x")
        wait_for_status(creator, "delivered")
        assert "eth_signTypedData_v4" in creator_wallet.calls
        assert "eth_sendTransaction" not in creator_wallet.calls
        assert w3.eth.get_balance(creator_address) == 0  # the relayer paid the gas
        listed = creator.locator("#transactions li").all_inner_texts()
        assert [text.split(":")[0] for text in listed] == ["fund", "deliver"]

        flow.http = httpx.Client(base_url=web_stack.base_url, timeout=30)
        with flow.http:
            flow.act(BRAND, "approve", DEV_PRIVATE_KEYS[BRAND_KEY_INDEX])
            flow.wait("released")
        # Paid to the wei, and nothing else moved on the creator's balance.
        assert w3.eth.get_balance(creator_address) == expected_creator_payout(split)
    finally:
        paid = w3.eth.get_balance(creator_address)
        w3.provider.make_request("anvil_setBalance", [creator_address, hex(before + paid)])
