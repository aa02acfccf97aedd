// Collab's web app: the browser wallet's part (EIP-1193 window.ethereum). The pages come from
// the server; this module signs in (EIP-4361, personal_sign), signs deal terms
// (eth_signTypedData_v4), sends the escrow's transactions (eth_sendTransaction) or signs a
// creator's delivery for the platform's relayer (eth_signTypedData_v4, no ETH needed) and keeps the
// wallet on the deployment's chain (wallet_switchEthereumChain). Writes to the API carry the
// session's CSRF token; the session cookie itself is HttpOnly.

const body = document.body;
const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const text = (name) => body.dataset[`msg${name}`] ?? name;
const PENDING = "collab.pending";

class Problem extends Error {
  constructor(title, detail = "") {
    super(`${title}: ${detail}`);
    this.title = title;
    this.detail = detail;
  }
}

function showProblem(error) {
  const box = document.getElementById("problem");
  const title = error instanceof Problem ? error.title : text("Error");
  const detail = error instanceof Problem ? error.detail : (error?.message ?? String(error));
  box.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = title;
  box.append(strong, " ", detail);
  box.hidden = false;
  box.focus?.();
}

// The API answers errors as RFC 9457 problems: show their title and detail as they are.
async function api(method, url, payload) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      "X-CSRF-Token": csrf,
    },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const raw = await response.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = { title: response.statusText, detail: raw.slice(0, 300) };
  }
  if (!response.ok) {
    throw new Problem(data?.title ?? response.statusText, data?.detail ?? "");
  }
  return data;
}

function provider() {
  if (!window.ethereum) throw new Problem(text("NoWallet"));
  return window.ethereum;
}

async function walletCall(method, params = []) {
  try {
    return await provider().request({ method, params });
  } catch (error) {
    if (error instanceof Problem) throw error;
    throw new Problem(`${method}`, error?.message ?? String(error));
  }
}

const wantedChain = () => Number(body.dataset.chainId || 0);
const hex = (value) => "0x" + BigInt(value).toString(16);

async function onWrongChain() {
  if (!window.ethereum || !wantedChain()) return false;
  const current = Number.parseInt(await walletCall("eth_chainId"), 16);
  const wrong = current !== wantedChain();
  document.getElementById("network").hidden = !wrong;
  return wrong;
}

async function switchChain() {
  await walletCall("wallet_switchEthereumChain", [{ chainId: hex(wantedChain()) }]);
  await onWrongChain();
}

async function account() {
  if (await onWrongChain()) await switchChain();
  const [address] = await walletCall("eth_requestAccounts");
  if (!address) throw new Problem(text("NoWallet"));
  return address;
}

function utf8Hex(message) {
  return "0x" + [...new TextEncoder().encode(message)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function signIn() {
  const wallet = await account();
  const issued = await api("POST", "/web/nonce", { wallet });
  const signature = await walletCall("personal_sign", [utf8Hex(issued.message), wallet]);
  const session = await api("POST", "/web/sign-in", { message: issued.message, signature });
  window.location.assign(session.next);
}

// Accepting an offer, signing or accepting a counter: the terms are EIP-712 typed data.
async function signTerms(button) {
  const wallet = await account();
  const { typed_data: typedData } = await api("GET", button.dataset.typedData);
  const signature = await walletCall("eth_signTypedData_v4", [wallet, JSON.stringify(typedData)]);
  const result = await api("POST", button.dataset.signTerms, { signature });
  if (result?.collaboration?.id) {
    window.location.assign(`/collaborations/${result.collaboration.id}`);
  } else {
    window.location.reload();
  }
}

async function waitForReceipt(hash) {
  for (;;) {
    const receipt = await walletCall("eth_getTransactionReceipt", [hash]);
    if (receipt) {
      if (receipt.status !== "0x1") throw new Problem("Transaction reverted", hash);
      return receipt;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function sendTransaction(tx, wallet) {
  const request = { from: wallet, to: tx.to, data: tx.data, value: hex(tx.value ?? 0) };
  if (tx.gas) request.gas = hex(tx.gas);
  return walletCall("eth_sendTransaction", [request]);
}

function showPending(hash) {
  const box = document.getElementById("pending");
  box.textContent = `${text("Pending")} ${hash.slice(0, 10)}…${hash.slice(-6)}: ${text("Waiting")}`;
  box.hidden = false;
}

// The status changes only when the indexer has seen the event: until then the page says the
// transaction is pending, and it reloads once the collaboration has moved.
async function awaitIndexer() {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null");
  const here = document.getElementById("collaboration");
  if (!pending || !here || pending.id !== here.dataset.id) return;
  if (pending.status !== here.dataset.status) {
    sessionStorage.removeItem(PENDING);
    return;
  }
  showPending(pending.hash);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const collaboration = await api("GET", `/v1/collaborations/${pending.id}`);
    if (collaboration.status !== pending.status) {
      sessionStorage.removeItem(PENDING);
      window.location.reload();
      return;
    }
  }
}

function rememberPending(hash) {
  const here = document.getElementById("collaboration");
  sessionStorage.setItem(
    PENDING,
    JSON.stringify({ id: here.dataset.id, status: here.dataset.status, hash }),
  );
  showPending(hash);
}

async function sendAction(url) {
  const wallet = await account();
  const built = await api("GET", url);
  for (const prerequisite of built.requires ?? []) {
    await waitForReceipt(await sendTransaction(prerequisite, wallet));
  }
  const hash = await sendTransaction(built.transaction, wallet);
  rememberPending(hash);
  await waitForReceipt(hash);
  await awaitIndexer();
}

// Delivery without ETH: the creator signs the escrow's EIP-712 `Deliver` and the API's relayer
// sends it (and pays the gas); the relay answers once the transaction is mined.
async function deliverBySignature(relay, deliverable) {
  const wallet = await account();
  const built = await api("GET", `${relay}/deliver?deliverable=${encodeURIComponent(deliverable)}`);
  const signature = await walletCall("eth_signTypedData_v4", [
    wallet,
    JSON.stringify(built.typed_data),
  ]);
  const relayed = await api("POST", relay, {
    action: "deliver",
    deliverable,
    deadline: built.deadline,
    signature,
  });
  rememberPending(relayed.tx_hash);
  await awaitIndexer();
}

// A wallet with no ETH cannot pay for the delivery transaction: the signature becomes the
// form's default (first and primary, the one Enter submits); the transaction stays offered.
async function preferSignedDelivery(form) {
  if (!window.ethereum) return;
  const [wallet] = await walletCall("eth_accounts");
  if (!wallet) return;
  const balance = BigInt(await walletCall("eth_getBalance", [wallet, "latest"]));
  if (balance !== 0n) return;
  const signed = form.querySelector("#deliver-signed");
  const sent = form.querySelector("#deliver");
  sent.classList.remove("primary");
  signed.classList.add("primary");
  signed.parentElement.prepend(signed);
  form.querySelector("#no-eth").hidden = false;
}

async function sendRaw(tx) {
  const wallet = await account();
  const hash = await sendTransaction(tx, wallet);
  showPending(hash);
  await waitForReceipt(hash);
  window.location.reload();
}

function busy(element, work) {
  return async (event) => {
    event.preventDefault();
    element.setAttribute("aria-busy", "true");
    element.disabled = true;
    document.getElementById("problem").hidden = true;
    try {
      await work();
    } catch (error) {
      showProblem(error);
    } finally {
      element.removeAttribute("aria-busy");
      element.disabled = false;
    }
  };
}

function wire() {
  const signInButton = document.getElementById("sign-in");
  signInButton?.addEventListener("click", busy(signInButton, signIn));
  const switchButton = document.getElementById("switch-network");
  switchButton?.addEventListener("click", busy(switchButton, switchChain));
  for (const button of document.querySelectorAll("button[data-sign-terms]")) {
    button.addEventListener("click", busy(button, () => signTerms(button)));
  }
  for (const button of document.querySelectorAll("button[data-send]")) {
    button.addEventListener("click", busy(button, () => sendAction(button.dataset.send)));
  }
  for (const button of document.querySelectorAll("button[data-send-tx]")) {
    button.addEventListener("click", busy(button, () => sendRaw(JSON.parse(button.dataset.sendTx))));
  }
  const deliver = document.getElementById("deliver-form");
  if (deliver) {
    deliver.addEventListener("submit", (event) => {
      const button = event.submitter ?? deliver.querySelector("button[type=submit]");
      const link = new FormData(deliver).get("deliverable");
      const work =
        button.id === "deliver-signed"
          ? () => deliverBySignature(deliver.dataset.relay, link)
          : () => sendAction(`${deliver.dataset.send}?deliverable=${encodeURIComponent(link)}`);
      return busy(button, work)(event);
    });
    preferSignedDelivery(deliver).catch(() => {});
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      await navigator.clipboard?.writeText(button.dataset.copy);
      const label = button.textContent;
      button.textContent = text("Copied");
      setTimeout(() => (button.textContent = label), 1500);
    });
  }
  if (window.ethereum) {
    window.ethereum.on?.("chainChanged", () => onWrongChain().catch(showProblem));
    onWrongChain().catch(() => {});
  }
  awaitIndexer().catch(showProblem);
}

wire();
