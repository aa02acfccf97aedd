// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {CreditLedger} from "./CreditLedger.sol";
import {ICollabEscrow} from "./ICollabEscrow.sol";
import {PayeeSet} from "./PayeeSet.sol";

/// @title Collab escrow v2 (see `ICollabEscrow` for the whole story and every function's NatSpec).
/// @notice Release pays the platform fee, then every payee by share, dust to the creator; share
/// arithmetic is full precision (`Math.mulDiv` when a product would not fit 256 bits), so any uint256
/// amount pays out exactly.
///
/// A deal's id IS the EIP-712 struct hash of the terms the creator signed: nobody can take it
/// (other terms hash elsewhere; these terms only their brand may fund). Actions that move money
/// take the terms as calldata and recompute the id, far cheaper than storing them. Each milestone
/// keeps ONE storage slot, written when the deal is funded: its status, its current deadline, its
/// delivery time, and the creator, so a delivery (relayed or not) needs only the deal id. Creator
/// actions may be signed (EIP-712, domain: name, version, chain id, this contract) and relayed by
/// anyone; per-account nonces and deadlines stop replays, the domain stops cross-chain and
/// cross-contract reuse.
contract CollabEscrow is ICollabEscrow, EIP712, Nonces, CreditLedger, Ownable2Step, Pausable {
    using SafeERC20 for IERC20;

    bytes32 public constant DEAL_TERMS_TYPEHASH = keccak256(
        "DealTerms(bytes32 salt,address brand,address creator,address token,uint256 amount,"
        "address[] payees,uint16[] shares,Milestone[] milestones,uint16 platformFeeBps,"
        "uint64 reviewPeriod,uint64 disputeTimeout,uint16 disputeRulePayeeBps,bytes32 termsHash,"
        "bool isVirtual,uint64 signatureExpiry)Milestone(uint256 amount,uint64 deliverBy)"
    );
    bytes32 public constant MILESTONE_TYPEHASH = keccak256("Milestone(uint256 amount,uint64 deliverBy)");
    bytes32 public constant DELIVER_TYPEHASH = keccak256(
        "Deliver(bytes32 dealId,uint256 milestone,bytes32 deliverableHash,uint256 nonce,uint64 deadline)"
    );
    bytes32 public constant SETTLEMENT_TYPEHASH =
        keccak256("Settlement(bytes32 dealId,uint256 milestone,uint16 payeeShareBps,uint64 deadline)");
    bytes32 public constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(address account,address token,address to,uint256 nonce,uint64 deadline)");

    uint256 public constant BPS = 10_000;
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    uint256 public constant MAX_PAYEES = 16;
    uint256 public constant MAX_MILESTONES = 16;
    uint64 public constant MIN_DISPUTE_TIMEOUT = 1 days;
    uint64 public constant MAX_DISPUTE_TIMEOUT = 365 days;

    /// Declared first so it shares a slot with Ownable2Step's pending owner and Pausable's flag
    /// (the storage-layout test checks it): `createDeal` reads both with one cold storage access.
    uint16 public platformFeeCapBps;
    address public arbiter;
    address public treasury;

    mapping(bytes32 dealId => mapping(uint256 milestone => MilestoneState)) private _milestones;

    enum PayoutKind {
        Fee,
        Refund
    }

    constructor(address initialOwner, address initialArbiter, address initialTreasury, uint16 feeCapBps)
        EIP712("CollabEscrow", "2")
        Ownable(initialOwner)
    {
        _setArbiter(initialArbiter);
        _setTreasury(initialTreasury);
        _setPlatformFeeCap(feeCapBps);
    }

    // ------------------------------------------------------------------ funding

    function createDeal(DealTerms calldata terms, bytes calldata creatorSignature)
        external
        payable
        whenNotPaused
        nonReentrant
        returns (bytes32 dealId)
    {
        bool isEth = terms.token == address(0);
        uint256 expectedValue = isEth ? terms.amount : 0;
        if (msg.value != expectedValue) revert WrongValue(expectedValue, msg.value);
        dealId = _create(terms, creatorSignature);
        if (!isEth) _pullToken(terms);
    }

    function createDealWithPermit(
        DealTerms calldata terms,
        bytes calldata creatorSignature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant returns (bytes32 dealId) {
        if (terms.token == address(0)) revert PermitNeedsToken();
        dealId = _create(terms, creatorSignature);
        // A permit already submitted by someone who saw it (front-running) reverts here; the
        // allowance it set is what matters, and `_pullToken` fails cleanly without it.
        try IERC20Permit(terms.token).permit(terms.brand, address(this), terms.amount, permitDeadline, v, r, s) {}
            catch {}
        _pullToken(terms);
    }

    // ------------------------------------------------------------------ delivery

    function markDelivered(bytes32 dealId, uint256 milestone, bytes32 deliverableHash) external {
        (MilestoneState storage slot, MilestoneState memory state) = _fundedMilestone(dealId, milestone);
        if (msg.sender != state.creator) revert NotCreator(msg.sender);
        _deliver(dealId, milestone, slot, state, deliverableHash);
    }

    function markDeliveredBySig(
        bytes32 dealId,
        uint256 milestone,
        bytes32 deliverableHash,
        uint64 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        (MilestoneState storage slot, MilestoneState memory state) = _fundedMilestone(dealId, milestone);
        address creator = state.creator;
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(DELIVER_TYPEHASH, dealId, milestone, deliverableHash, _useNonce(creator), deadline))
        );
        _requireSignature(creator, digest, signature);
        _deliver(dealId, milestone, slot, state, deliverableHash);
    }

    // ------------------------------------------------------------------ payout or refund

    function approveDelivery(DealTerms calldata terms, uint256 milestone) external nonReentrant {
        (bytes32 dealId, MilestoneState storage slot, MilestoneState memory state) =
            _requireMilestone(terms, milestone, Status.Delivered);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        uint256 amount = terms.milestones[milestone].amount;
        uint256 feeAmount = _bps(amount, terms.platformFeeBps);
        _setStatus(slot, state, Status.Released);
        emit Approved(dealId, milestone, feeAmount);
        _payOut(terms, dealId, amount, feeAmount);
    }

    function release(DealTerms calldata terms, uint256 milestone) external nonReentrant {
        (bytes32 dealId, MilestoneState storage slot, MilestoneState memory state) =
            _requireMilestone(terms, milestone, Status.Delivered);
        uint256 reviewEndsAt = uint256(state.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp < reviewEndsAt) revert ReviewPeriodNotOver(reviewEndsAt);
        uint256 amount = terms.milestones[milestone].amount;
        uint256 feeAmount = _bps(amount, terms.platformFeeBps);
        _setStatus(slot, state, Status.Released);
        emit Released(dealId, milestone, msg.sender, feeAmount);
        _payOut(terms, dealId, amount, feeAmount);
    }

    function refund(DealTerms calldata terms, uint256 milestone) external nonReentrant {
        (bytes32 dealId, MilestoneState storage slot, MilestoneState memory state) =
            _requireMilestone(terms, milestone, Status.Funded);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp <= state.deadline) revert DeliveryDeadlineNotPassed(state.deadline);
        uint256 amount = terms.milestones[milestone].amount;
        _setStatus(slot, state, Status.Refunded);
        emit Refunded(dealId, milestone, amount);
        _pay(dealId, terms.brand, terms.token, amount, PayoutKind.Refund);
    }

    // ------------------------------------------------------------------ disputes

    function dispute(DealTerms calldata terms, uint256 milestone) external nonReentrant {
        (bytes32 dealId, MilestoneState storage slot, MilestoneState memory state) =
            _requireMilestone(terms, milestone, Status.Delivered);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        uint256 reviewEndsAt = uint256(state.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp >= reviewEndsAt) revert ReviewPeriodOver(reviewEndsAt);
        // Validated at funding: disputeTimeout <= 365 days, so this fits 40 bits for 30,000 years.
        state.deadline = uint40(block.timestamp + terms.disputeTimeout);
        _setStatus(slot, state, Status.Disputed);
        emit Disputed(dealId, milestone, state.deadline);
    }

    function resolve(DealTerms calldata terms, uint256 milestone, uint16 payeeShareBps) external nonReentrant {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        (bytes32 dealId,, MilestoneState memory state) = _requireMilestone(terms, milestone, Status.Disputed);
        if (block.timestamp >= state.deadline) revert ArbiterDeadlinePassed(state.deadline);
        if (payeeShareBps > BPS) revert InvalidShareBps(payeeShareBps);
        _resolve(terms, dealId, milestone, state, Resolution.Arbiter, payeeShareBps);
    }

    function applyDisputeRule(DealTerms calldata terms, uint256 milestone) external nonReentrant {
        (bytes32 dealId,, MilestoneState memory state) = _requireMilestone(terms, milestone, Status.Disputed);
        if (block.timestamp < state.deadline) revert DisputeRuleNotApplicable(state.deadline);
        _resolve(terms, dealId, milestone, state, Resolution.DisputeRule, terms.disputeRulePayeeBps);
    }

    function settle(
        DealTerms calldata terms,
        uint256 milestone,
        uint16 payeeShareBps,
        uint64 deadline,
        bytes calldata brandSignature,
        bytes calldata creatorSignature
    ) external nonReentrant {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (payeeShareBps > BPS) revert InvalidShareBps(payeeShareBps);
        (bytes32 dealId,, MilestoneState memory state) = _requireMilestone(terms, milestone, Status.None);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(SETTLEMENT_TYPEHASH, dealId, milestone, payeeShareBps, deadline))
        );
        _requireSignature(terms.brand, digest, brandSignature);
        _requireSignature(terms.creator, digest, creatorSignature);
        _resolve(terms, dealId, milestone, state, Resolution.Settlement, payeeShareBps);
    }

    // ------------------------------------------------------------------ relayed withdrawal

    function withdrawBySig(address account, address token, address to, uint64 deadline, bytes calldata signature)
        external
        nonReentrant
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (to == address(0)) revert ZeroAddress();
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(WITHDRAW_TYPEHASH, account, token, to, _useNonce(account), deadline))
        );
        _requireSignature(account, digest, signature);
        _withdraw(account, token, to);
    }

    // ------------------------------------------------------------------ views

    function milestoneOf(bytes32 dealId, uint256 milestone) external view returns (MilestoneState memory) {
        return _milestones[dealId][milestone];
    }

    function dealIdOf(DealTerms calldata terms) external pure returns (bytes32) {
        return _termsStructHash(terms);
    }

    function hashTerms(DealTerms calldata terms) external view returns (bytes32) {
        return _hashTypedDataV4(_termsStructHash(terms));
    }

    /// The EIP-712 domain separator (name "CollabEscrow", version "2", chain id, this contract).
    /// @return The separator.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ admin

    function setArbiter(address newArbiter) external onlyOwner {
        _setArbiter(newArbiter);
    }

    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    function setPlatformFeeCap(uint16 newCapBps) external onlyOwner {
        _setPlatformFeeCap(newCapBps);
    }

    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    /// An ownerless escrow could never change its arbiter again, leaving disputes stuck.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ------------------------------------------------------------------ internals

    /// Checks, the creator's signature, and one Funded slot per milestone (effects before the
    /// caller pulls any token).
    function _create(DealTerms calldata terms, bytes calldata creatorSignature) private returns (bytes32 dealId) {
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp > terms.signatureExpiry) revert SignatureExpired(terms.signatureExpiry);
        dealId = _termsStructHash(terms);
        mapping(uint256 => MilestoneState) storage milestones = _milestones[dealId];
        if (milestones[0].status != Status.None) revert DealAlreadyExists(dealId);
        address creator = terms.creator;
        _validateTerms(terms, creator);
        _requireSignature(creator, _hashTypedDataV4(dealId), creatorSignature);
        Milestone[] calldata list = terms.milestones;
        uint256 count = list.length;
        for (uint256 i; i < count; ++i) {
            _store(milestones[i], creator, uint40(list[i].deliverBy), 0, Status.Funded);
        }
        // msg.sender is the brand (checked above).
        emit DealCreated(dealId, msg.sender, creator, terms.token, terms.amount, count);
    }

    function _pullToken(DealTerms calldata terms) private {
        IERC20 token = IERC20(terms.token);
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(terms.brand, address(this), terms.amount);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != terms.amount) revert FeeOnTransferToken(terms.amount, received);
    }

    function _validateTerms(DealTerms calldata terms, address creator) private view {
        address[] calldata payees = terms.payees;
        PayeeSet.validate(payees, terms.shares, MAX_PAYEES);
        address first = PayeeSet.payeeAt(payees, 0); // validate: at least one payee
        if (first != creator) revert CreatorNotFirstPayee(first);
        Milestone[] calldata milestones = terms.milestones;
        uint256 count = milestones.length;
        if (count == 0 || count > MAX_MILESTONES) revert InvalidMilestoneCount(count);
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            Milestone calldata milestone = milestones[i];
            if (milestone.amount == 0) revert ZeroMilestoneAmount(i);
            uint64 deliverBy = milestone.deliverBy;
            if (deliverBy <= block.timestamp || deliverBy > type(uint40).max) {
                revert InvalidMilestoneDeadline(i, deliverBy);
            }
            sum += milestone.amount; // checked: amounts that overflow cannot wrap to the total
        }
        if (sum != terms.amount) revert MilestonesDoNotSum(sum, terms.amount);
        uint64 timeout = terms.disputeTimeout;
        if (timeout < MIN_DISPUTE_TIMEOUT || timeout > MAX_DISPUTE_TIMEOUT || terms.disputeRulePayeeBps > BPS) {
            revert InvalidDisputeRule(timeout, terms.disputeRulePayeeBps);
        }
        uint16 feeBps = terms.platformFeeBps;
        if (feeBps != 0) {
            uint16 capBps = platformFeeCapBps;
            if (feeBps > capBps) revert FeeAboveCap(feeBps, capBps);
        }
    }

    /// EIP-712 `hashStruct(terms)`. The head of the calldata struct is 15 static words in type
    /// order (the three arrays appear as offsets); copy it behind the type hash and replace the
    /// offsets with the arrays' hashes. abi.encode of 16 values would not fit the stack. Raw words
    /// are hashed: a non-canonical encoding (dirty high bits) hashes differently from what the
    /// creator signed, so it can neither pass the signature nor name a funded deal.
    function _termsStructHash(DealTerms calldata terms) private pure returns (bytes32 structHash) {
        address[] calldata payees = terms.payees;
        uint16[] calldata shares = terms.shares;
        bytes32 payeesHash = _hashWords(payees.length, _offsetOf(payees));
        bytes32 sharesHash = _hashWords(shares.length, _offsetOf(shares));
        bytes32 milestonesHash = _hashMilestones(terms.milestones);
        bytes32 typeHash = DEAL_TERMS_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), terms, 0x1e0)
            mstore(add(ptr, 0xc0), payeesHash)
            mstore(add(ptr, 0xe0), sharesHash)
            mstore(add(ptr, 0x100), milestonesHash)
            structHash := keccak256(ptr, 0x200)
        }
    }

    /// EIP-712 `encodeData` of an array of static values is the keccak of its 32-byte words,
    /// which is exactly how the calldata array is laid out.
    function _hashWords(uint256 length, uint256 offset) private pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(length, 0x20)
            calldatacopy(ptr, offset, size)
            result := keccak256(ptr, size)
        }
    }

    /// keccak256 of the concatenated `hashStruct(milestone)`, each milestone two calldata words.
    function _hashMilestones(Milestone[] calldata milestones) private pure returns (bytes32 result) {
        bytes32 typeHash = MILESTONE_TYPEHASH;
        assembly ("memory-safe") {
            let count := milestones.length
            let hashes := mload(0x40)
            let scratch := add(hashes, mul(count, 0x20))
            mstore(scratch, typeHash)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                calldatacopy(add(scratch, 0x20), add(milestones.offset, mul(i, 0x40)), 0x40)
                mstore(add(hashes, mul(i, 0x20)), keccak256(scratch, 0x60))
            }
            result := keccak256(hashes, mul(count, 0x20))
        }
    }

    function _offsetOf(address[] calldata values) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := values.offset
        }
    }

    function _offsetOf(uint16[] calldata values) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := values.offset
        }
    }

    /// The milestone these terms name, in the `required` status (None: any open status, for a
    /// settlement). Terms altered in any field name another id, which no deal holds.
    function _requireMilestone(DealTerms calldata terms, uint256 milestone, Status required)
        private
        view
        returns (bytes32 dealId, MilestoneState storage slot, MilestoneState memory state)
    {
        dealId = _termsStructHash(terms);
        if (milestone >= terms.milestones.length) revert UnknownMilestone(dealId, milestone);
        slot = _milestones[dealId][milestone];
        state = slot;
        Status current = state.status;
        if (current == Status.None) revert UnknownDeal(dealId);
        if (required == Status.None) {
            if (current != Status.Funded && current != Status.Delivered && current != Status.Disputed) {
                revert WrongStatus(dealId, milestone, current, Status.Disputed);
            }
        } else if (current != required) {
            revert WrongStatus(dealId, milestone, current, required);
        }
    }

    /// A funded milestone by deal id alone (deliveries read the creator and deadline from its slot).
    function _fundedMilestone(bytes32 dealId, uint256 milestone)
        private
        view
        returns (MilestoneState storage slot, MilestoneState memory state)
    {
        slot = _milestones[dealId][milestone];
        state = slot;
        if (state.status != Status.Funded) {
            if (state.status == Status.None) {
                if (milestone == 0 || _milestones[dealId][0].status == Status.None) revert UnknownDeal(dealId);
                revert UnknownMilestone(dealId, milestone);
            }
            revert WrongStatus(dealId, milestone, state.status, Status.Funded);
        }
    }

    function _deliver(
        bytes32 dealId,
        uint256 milestone,
        MilestoneState storage slot,
        MilestoneState memory state,
        bytes32 deliverableHash
    ) private {
        if (block.timestamp > state.deadline) revert DeliveryDeadlinePassed(state.deadline);
        _store(slot, state.creator, state.deadline, uint40(block.timestamp), Status.Delivered);
        emit Delivered(dealId, milestone, deliverableHash, uint64(block.timestamp));
    }

    /// A slot never returns to `None`, so the same terms can never be funded twice.
    function _setStatus(MilestoneState storage slot, MilestoneState memory state, Status status) private {
        state.status = status;
        _store(slot, state.creator, state.deadline, state.deliveredAt, status);
    }

    /// One SSTORE of the whole word, laid out as `MilestoneState` (the compiler's struct copy
    /// reads the slot back and writes it twice).
    function _store(MilestoneState storage slot, address creator, uint40 deadline, uint40 deliveredAt, Status status)
        private
    {
        uint256 word = uint256(uint160(creator)) | (uint256(deadline) << 160) | (uint256(deliveredAt) << 200)
            | (uint256(uint8(status)) << 240);
        assembly ("memory-safe") {
            sstore(slot.slot, word)
        }
    }

    /// ECDSA first (cheap, right for EOAs and EIP-7702 accounts), then ERC-1271 for contract
    /// wallets: a contract's address has no known private key, so recovery cannot match it.
    /// A 65-byte signature is read from calldata in place (no copy to memory, as
    /// `tryRecover(bytes32, bytes)` would make), then recovered with the same OpenZeppelin checks.
    function _requireSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (signature.length == 65) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                r := calldataload(signature.offset)
                s := calldataload(add(signature.offset, 0x20))
                v := byte(0, calldataload(add(signature.offset, 0x40)))
            }
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err == ECDSA.RecoverError.NoError && recovered == signer) return;
        }
        if (!SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature)) revert InvalidSignature(signer);
    }

    /// `awarded` = floor(amount * payeeShareBps / 10,000) to the payee side, the fee taken on it
    /// alone, the rest of the milestone back to the brand.
    function _resolve(
        DealTerms calldata terms,
        bytes32 dealId,
        uint256 milestone,
        MilestoneState memory state,
        Resolution how,
        uint16 payeeShareBps
    ) private {
        uint256 amount = terms.milestones[milestone].amount;
        uint256 awarded = _bps(amount, payeeShareBps);
        uint256 feeAmount = _bps(awarded, terms.platformFeeBps);
        uint256 toBrand = amount - awarded;
        _setStatus(_milestones[dealId][milestone], state, Status.Resolved);
        emit Resolved(dealId, milestone, how, payeeShareBps, awarded - feeAmount, toBrand, feeAmount);
        _payOut(terms, dealId, awarded, feeAmount);
        if (toBrand != 0) _pay(dealId, terms.brand, terms.token, toBrand, PayoutKind.Refund);
    }

    /// The fee to the treasury, then each payee after the first floor(rest * share / 10,000) in
    /// full precision; the creator (payee 0) gets what remains: its share plus the dust.
    function _payOut(DealTerms calldata terms, bytes32 dealId, uint256 amount, uint256 feeAmount) private {
        address token = terms.token;
        if (feeAmount != 0) _pay(dealId, treasury, token, feeAmount, PayoutKind.Fee);
        uint256 total = amount - feeAmount;
        address[] calldata payees = terms.payees;
        uint16[] calldata shares = terms.shares;
        uint256 count = payees.length;
        uint256 paidToOthers;
        for (uint256 i = 1; i < count; ++i) {
            uint256 payout = _bps(total, PayeeSet.shareAt(shares, i));
            // Shares sum to 10,000 (checked at funding), so the floors never add up past `total`.
            unchecked {
                paidToOthers += payout;
            }
            _payPayee(dealId, PayeeSet.payeeAt(payees, i), token, payout);
        }
        unchecked {
            _payPayee(dealId, PayeeSet.payeeAt(payees, 0), token, total - paidToOthers);
        }
    }

    /// floor(amount * bps / 10,000) for any uint256 amount: one multiplication while the product
    /// fits 256 bits (bps is a uint16, so any amount below 2**240), `Math.mulDiv` above.
    function _bps(uint256 amount, uint256 bps) private pure returns (uint256) {
        unchecked {
            if (amount >> 240 == 0) return amount * bps / BPS;
        }
        return Math.mulDiv(amount, bps, BPS);
    }

    /// Push, or credit when the push fails. Zero amounts (tiny deals) move nothing and log nothing.
    /// The payees' own path (the one every release takes four times): no kind to branch on.
    function _payPayee(bytes32 dealId, address to, address token, uint256 amount) private {
        if (amount == 0) return;
        if (_pushOrCredit(to, token, amount)) emit PayoutPaid(dealId, to, token, amount);
        else emit PayoutCredited(dealId, to, token, amount);
    }

    /// The treasury's fee or the brand's refund, same rules as `_payPayee`.
    function _pay(bytes32 dealId, address to, address token, uint256 amount, PayoutKind kind) private {
        if (amount == 0) return;
        bool pushed = _pushOrCredit(to, token, amount);
        if (kind == PayoutKind.Fee) {
            if (pushed) emit FeePaid(dealId, to, token, amount);
            else emit FeeCredited(dealId, to, token, amount);
        } else {
            if (pushed) emit RefundPaid(dealId, to, token, amount);
            else emit RefundCredited(dealId, to, token, amount);
        }
    }

    function _setArbiter(address newArbiter) private {
        if (newArbiter == address(0)) revert ZeroAddress();
        emit ArbiterChanged(arbiter, newArbiter);
        arbiter = newArbiter;
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }

    function _setPlatformFeeCap(uint16 newCapBps) private {
        if (newCapBps > MAX_PLATFORM_FEE_BPS) revert FeeAboveCap(newCapBps, MAX_PLATFORM_FEE_BPS);
        emit PlatformFeeCapChanged(platformFeeCapBps, newCapBps);
        platformFeeCapBps = newCapBps;
    }
}
