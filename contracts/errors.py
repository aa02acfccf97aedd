"""Contract reverts as typed Python exceptions.

Every custom error declared in the compiled ABIs (ours, OpenZeppelin's, the test contracts') is
registered by its 4-byte selector. ``decode_revert_data`` turns raw revert data into an instance of
the matching ``ContractRevert`` subclass; ``from_web3_error`` does the same for web3's
``ContractLogicError`` family. Project errors have named classes (``except NotBrand:``); any other
error name gets a subclass made on first use, reachable through ``error_class(name)``.

``ContractRevert.args`` is the tuple of decoded error arguments in ABI order (as for any
exception), ``.named_args`` the same values by parameter name, ``.name`` the Solidity error name.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


class ContractRevert(Exception):
    """A call or transaction reverted; subclasses name the Solidity error."""

    name: str = "ContractRevert"

    def __init__(
        self,
        *values: Any,
        named_args: dict[str, Any] | None = None,
        data: str = "0x",
        name: str | None = None,
    ) -> None:
        super().__init__(*values)
        if name is not None:
            self.name = name
        self.named_args: dict[str, Any] = dict(named_args or {})
        self.data = data

    @property
    def selector(self) -> str:
        return self.data[:10]

    def __str__(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self.named_args.items())
        return f"{self.name}({inner})"


class UnknownRevert(ContractRevert):
    """Revert data whose selector is in no known ABI, or a revert without data."""

    name = "UnknownRevert"


class RevertReason(ContractRevert):
    """``require(cond, "message")`` / ``Error(string)``; text in ``named_args['message']``."""

    name = "Error"


class Panic(ContractRevert):
    """Solidity ``Panic(uint256)`` (overflow, division by zero, assert...)."""

    name = "Panic"


_ERROR_CLASSES: dict[str, type[ContractRevert]] = {}


def _named(name: str, doc: str) -> type[ContractRevert]:
    cls = type(name, (ContractRevert,), {"name": name, "__doc__": doc, "__module__": __name__})
    _ERROR_CLASSES[name] = cls
    return cls


# Escrow
NotBrand = _named("NotBrand", "Only the deal's brand may do this.")
NotCreator = _named("NotCreator", "Only the deal's creator may do this.")
NotArbiter = _named("NotArbiter", "Only the arbiter may resolve a dispute.")
DealAlreadyExists = _named("DealAlreadyExists", "These exact terms were funded already (replay).")
UnknownDeal = _named("UnknownDeal", "No deal with this id (no deal was funded on these terms).")
UnknownMilestone = _named("UnknownMilestone", "The deal has no milestone with this index.")
WrongStatus = _named("WrongStatus", "The milestone is not in the status this action needs.")
SignatureExpired = _named("SignatureExpired", "The signature is past its expiry or deadline.")
InvalidSignature = _named("InvalidSignature", "The signature is not the expected signer's.")
CreatorNotFirstPayee = _named("CreatorNotFirstPayee", "The first payee must be the creator.")
InvalidMilestoneCount = _named("InvalidMilestoneCount", "A deal has 1 to 16 milestones.")
ZeroMilestoneAmount = _named("ZeroMilestoneAmount", "A milestone's amount is zero.")
InvalidMilestoneDeadline = _named(
    "InvalidMilestoneDeadline", "A milestone's deadline is in the past or out of range."
)
MilestonesDoNotSum = _named("MilestonesDoNotSum", "Milestone amounts do not sum to the amount.")
InvalidDisputeRule = _named(
    "InvalidDisputeRule", "Dispute timeout outside 1..365 days, or rule share above 10,000."
)
PermitNeedsToken = _named("PermitNeedsToken", "A permit can only fund an ERC-20 deal.")
FeeAboveCap = _named("FeeAboveCap", "The platform fee is above the cap.")
WrongValue = _named("WrongValue", "msg.value differs from what the deal requires.")
FeeOnTransferToken = _named("FeeOnTransferToken", "The token delivered less than the amount.")
DeliveryDeadlinePassed = _named("DeliveryDeadlinePassed", "Too late to mark delivered.")
DeliveryDeadlineNotPassed = _named("DeliveryDeadlineNotPassed", "Too early to refund.")
ReviewPeriodNotOver = _named("ReviewPeriodNotOver", "Too early to release without approval.")
ReviewPeriodOver = _named("ReviewPeriodOver", "Too late to dispute.")
DisputeRuleNotApplicable = _named(
    "DisputeRuleNotApplicable", "The arbiter's time is not over: too early for the dispute rule."
)
ArbiterDeadlinePassed = _named(
    "ArbiterDeadlinePassed", "The arbiter's time is over: the dispute rule applies now."
)
InvalidShareBps = _named("InvalidShareBps", "The arbiter's share is above 10,000 bps.")
NothingToWithdraw = _named("NothingToWithdraw", "No credited balance in this token.")
ZeroAddress = _named("ZeroAddress", "The zero address is not allowed here.")
RenounceDisabled = _named("RenounceDisabled", "Ownership cannot be renounced.")
InsufficientGasForPayout = _named(
    "InsufficientGasForPayout", "The transaction gas limit was too low for a payout push."
)
# Payee sets (escrow and splitter factory)
InvalidPayeeCount = _named("InvalidPayeeCount", "A payee set has 1 to 16 payees.")
ShareCountMismatch = _named("ShareCountMismatch", "One share per payee is needed.")
ZeroPayee = _named("ZeroPayee", "A payee is the zero address.")
DuplicatePayee = _named("DuplicatePayee", "A payee is listed twice.")
ZeroShare = _named("ZeroShare", "A payee's share is zero.")
SharesDoNotSum = _named("SharesDoNotSum", "The shares do not sum to 10,000 bps.")
# Splitter
NotAClone = _named("NotAClone", "The splitter implementation cannot be used directly.")
NothingToDistribute = _named("NothingToDistribute", "The splitter holds nothing to distribute.")
# OpenZeppelin errors the services are likely to catch
ReentrancyGuardReentrantCall = _named("ReentrancyGuardReentrantCall", "Re-entrant call refused.")
OwnableUnauthorizedAccount = _named("OwnableUnauthorizedAccount", "Only the owner may do this.")
EnforcedPause = _named("EnforcedPause", "The contract is paused.")
SafeERC20FailedOperation = _named("SafeERC20FailedOperation", "An ERC-20 transfer failed.")


def error_class(name: str) -> type[ContractRevert]:
    """The exception class for a Solidity error name (made on first use for unlisted names)."""
    if name not in _ERROR_CLASSES:
        _named(name, f"Solidity error {name}.")
    return _ERROR_CLASSES[name]


def _abi_type(param: dict[str, Any]) -> str:
    """Canonical ABI type, expanding tuples (structs) recursively."""
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@cache
def error_registry() -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """``{selector: (name, argument types, argument names)}`` from every artifact on disk."""
    registry: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for path in sorted(ARTIFACTS_DIR.rglob("*.json")):
        for item in json.loads(path.read_text())["abi"]:
            if item["type"] != "error":
                continue
            types = tuple(_abi_type(param) for param in item["inputs"])
            names = tuple(param["name"] or f"arg{i}" for i, param in enumerate(item["inputs"]))
            selector = "0x" + keccak(text=f"{item['name']}({','.join(types)})")[:4].hex()
            registry[selector] = (item["name"], types, names)
    registry["0x08c379a0"] = ("Error", ("string",), ("message",))
    registry["0x4e487b71"] = ("Panic", ("uint256",), ("code",))
    return registry


def decode_revert_data(data: str | bytes | None) -> ContractRevert:
    """Typed exception for raw revert data (``0x`` + selector + ABI-encoded arguments)."""
    if isinstance(data, bytes):
        data = "0x" + data.hex()
    data = (data or "0x").lower()
    if not data.startswith("0x"):
        data = "0x" + data
    selector = data[:10]
    entry = error_registry().get(selector) if len(data) >= 10 else None
    if entry is None:
        return UnknownRevert(data, named_args={"data": data}, data=data)
    name, types, names = entry
    try:
        values = abi_decode(list(types), bytes.fromhex(data[10:]))
    except (DecodingError, ValueError, OverflowError):  # malformed: keep the raw data
        return UnknownRevert(data, named_args={"data": data}, data=data, name=name)
    # Lazily: the bindings package imports this module.
    from contracts.bindings.encoding import json_safe

    values = tuple(json_safe(value) for value in values)
    named = dict(zip(names, values, strict=True))
    if name == "Error":
        return RevertReason(*values, named_args=named, data=data)
    if name == "Panic":
        return Panic(*values, named_args=named, data=data)
    return error_class(name)(*values, named_args=named, data=data)


def revert_data_of(exc: BaseException) -> str | None:
    """The hex revert data carried by a web3 exception, if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data") or data.get("result")
    if isinstance(data, bytes):
        return "0x" + data.hex()
    if isinstance(data, str):
        if data.startswith("Reverted "):
            data = data[len("Reverted ") :]
        return data if data.startswith("0x") else None
    return None


def from_web3_error(exc: BaseException) -> ContractRevert | None:
    """Typed exception for web3's ContractLogicError / ContractCustomError / ContractPanicError,
    or None when ``exc`` is not a revert (e.g. a connection error)."""
    from web3.exceptions import ContractLogicError

    if isinstance(exc, ContractRevert):
        return exc
    if not isinstance(exc, ContractLogicError):
        return None
    data = revert_data_of(exc)
    if data is None:
        message = getattr(exc, "message", None) or str(exc)
        return UnknownRevert(message, named_args={"message": message}, data="0x")
    return decode_revert_data(data)
