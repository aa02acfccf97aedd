"""The web app in a real browser: Debian's chromium driven by Playwright, against the API served
as its own process (`collab serve`, SQLite) on a chain of its own. The wallet is an EIP-1193
provider injected into each page that forwards every JSON-RPC call to that anvil, which signs
(personal_sign, eth_signTypedData_v4) and sends transactions for its development accounts."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from web3 import Web3

from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS, Anvil
from tests.e2e.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of the pages a failed test had open land here (CI keeps the folder as artifacts);
# with COLLAB_WEB_SCREENSHOTS=DIR, every main page of a passing run is saved there too.
ARTIFACTS = ROOT / "var" / "test-artifacts" / "web"
EXPLORER_URL = "https://explorer.example"

PROVIDER = """
(() => {
  const listeners = {};
  window.ethereum = {
    isCollabTestWallet: true,
    async request({ method, params }) {
      const call = JSON.stringify({ method, params: params ?? [] });
      const answer = JSON.parse(await window.__walletRpc(call));
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
    on(event, handler) { (listeners[event] ??= []).push(handler); },
    removeListener(event, handler) {
      listeners[event] = (listeners[event] ?? []).filter((h) => h !== handler);
    },
  };
})();
"""


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "Debian's chromium is not installed: apt-get install -y chromium (.ci/run does)"
        )
    return path


class Wallet:
    """One browser wallet: an anvil development account, answering the page's JSON-RPC."""

    def __init__(self, rpc_url: str, key_index: int) -> None:
        self.rpc_url = rpc_url
        self.address = Account.from_key(DEV_PRIVATE_KEYS[key_index]).address
        self.calls: list[str] = []
        self.chain_id: int | None = None  # set: the wallet says it is on that chain instead
        self.refused: set[str] = set()  # methods the person refuses in the wallet (EIP-1193 4001)
        # method -> its next answer, computed from the call's params (used once), for a wallet
        # that answers something else than anvil would
        self.next_answer: dict[str, Callable[[list], object]] = {}

    def __call__(self, _source, payload: str) -> str:
        call = json.loads(payload)
        method, params = call["method"], call["params"]
        self.calls.append(method)
        if method in self.refused:
            return json.dumps({"error": {"code": 4001, "message": "User rejected the request."}})
        if method in self.next_answer:
            return json.dumps({"result": self.next_answer.pop(method)(params)})
        if method in ("eth_requestAccounts", "eth_accounts"):
            return json.dumps({"result": [self.address]})
        if method == "eth_chainId" and self.chain_id is not None:
            return json.dumps({"result": hex(self.chain_id)})
        if method == "wallet_switchEthereumChain":
            self.chain_id = int(params[0]["chainId"], 16)
            return json.dumps({"result": None})
        answer = httpx.post(
            self.rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=30,
        ).json()
        return json.dumps({k: answer[k] for k in ("result", "error") if k in answer})


class WebStack(Stack):
    def env(self) -> dict[str, str]:
        # Each test signs in afresh, more often than a person would in a minute.
        return {
            **super().env(),
            "RATE_LIMIT_KEY_ROTATION": "1000/minute",
            "EXPLORER_URL": EXPLORER_URL,
        }


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("web")
    anvil = Anvil(state_path=tmp / "anvil-state.json").start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
        deployment = bindings.deploy_local(w3, DEV_PRIVATE_KEYS[0])
        stack = WebStack(tmp=tmp, anvil=anvil, w3=w3, deployment=deployment)
        stack.database_url = f"sqlite:///{tmp / 'collab.db'}"
        stack.start_api()
        try:
            yield stack
        finally:
            stack.kill_api(signal.SIGTERM)
    finally:
        anvil.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item):
    report = yield
    if report.when == "call":
        item.web_failed = report.failed
    return report


@pytest.fixture
def open_wallet(request: pytest.FixtureRequest, browser, web_stack: Stack):
    """A browser context (its own cookies) with a wallet for a development account; on a
    failure, a screenshot of each page left open."""
    contexts = []

    def open_for(key_index: int, locale: str = "en-GB"):
        wallet = Wallet(web_stack.anvil.rpc_url, key_index)
        context = browser.new_context(base_url=web_stack.base_url, locale=locale)
        context.add_init_script(PROVIDER)
        context.expose_binding("__walletRpc", wallet)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page(), wallet

    yield open_for
    failed = getattr(request.node, "web_failed", False)
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, context in enumerate(contexts):
        for page_number, page in enumerate(context.pages):
            if failed:
                name = f"{request.node.name}-{number}-{page_number}.png"
                page.screenshot(path=ARTIFACTS / name, full_page=True)
        context.close()


def snapshot(page, name: str) -> None:
    """Saves the page for the README and reviews, when COLLAB_WEB_SCREENSHOTS names a folder."""
    if folder := os.environ.get("COLLAB_WEB_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=False)
