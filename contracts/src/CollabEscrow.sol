// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Payouts} from "./Payouts.sol";

/// @title Collab escrow: one contract holds every brand-creator deal on a chain.
/// @notice A brand funds a deal whose terms the creator signed (EIP-712, ERC-1271 wallets too).
/// The creator marks it delivered; the brand approves, or anyone releases once the review period
/// is over; the brand gets a refund when nothing was delivered in time; a dispute goes to the
/// arbiter, and a dispute the arbiter leaves open for `DISPUTE_TIMEOUT` ends by a default rule that
/// anyone may apply. Release pays the platform fee, then every payee by share, dust to the creator;
/// all share arithmetic is full precision (`Math.mulDiv`), so any uint256 amount pays out exactly.
///
/// A deal's id IS the EIP-712 struct hash of the terms the creator signed (`salt` makes two
/// identical offers two deals). Nobody can take a deal's id: different terms hash to a different
/// id, and the only terms that hash to this one are the creator-signed ones, which only their
/// brand may fund (a watcher copying the brand's pending `createDeal` reverts with NotBrand).
/// Every later action takes the full terms as calldata and recomputes the id from them, which is
/// far cheaper than storing the terms (payees and shares included); terms altered in any field
/// name a deal that does not exist. Matching a live deal's id with other terms takes a 2^256
/// second preimage or 2^128 work for a collision, the usual 128-bit target (the 208-bit digest
/// this replaces gave 2^104). The slot keeps only what changes: the status, the delivery and the
/// dispute times, still ONE slot, so the lifecycle costs what it did (bench/gas.py: the ETH
/// lifecycle with four payees costs about 197,850 gas, 2.36x four plain transfers; 197,530, 2.35x,
/// before, the difference being the full-precision arithmetic at release).
contract CollabEscrow is EIP712, Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// What the creator signs; its EIP-712 struct hash is the deal's id. `salt` is a random value
    /// per offer. `token` is address(0) for ETH. `payees[0]` is the creator; shares are basis
    /// points summing to exactly 10,000. Field order is the calldata layout that
    /// `_termsStructHash` relies on: do not reorder without updating it.
    struct DealTerms {
        bytes32 salt;
        address brand;
        address creator;
        address token;
        uint256 amount;
        address[] payees;
        uint16[] shares;
        uint16 platformFeeBps;
        uint64 deliverBy;
        uint64 reviewPeriod;
        bytes32 termsHash;
        bool isVirtual;
        uint64 signatureExpiry;
    }

    enum Status {
        None,
        Funded,
        Delivered,
        Released,
        Refunded,
        Disputed,
        Resolved
    }

    /// Everything stored per deal, packed in one slot (40 + 40 + 8 bits); the terms are its key.
    struct Deal {
        uint40 deliveredAt;
        uint40 disputedAt;
        Status status;
    }

    bytes32 public constant DEAL_TERMS_TYPEHASH = keccak256(
        "DealTerms(bytes32 salt,address brand,address creator,address token,uint256 amount,"
        "address[] payees,uint16[] shares,uint16 platformFeeBps,uint64 deliverBy,"
        "uint64 reviewPeriod,bytes32 termsHash,bool isVirtual,uint64 signatureExpiry)"
    );
    uint256 public constant BPS = 10_000;
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    uint256 public constant MAX_PAYEES = 16;
    /// How long the arbiter has to resolve a dispute before anyone may apply the default rule.
    uint256 public constant DISPUTE_TIMEOUT = 30 days;
    /// The default rule of a stale dispute: half of the amount to the payee side, as `resolve`
    /// would award it. Escrow v2 makes this rule part of the signed terms.
    uint16 public constant STALE_DISPUTE_PAYEE_SHARE_BPS = 5_000;

    /// Declared first so it shares a slot with Ownable2Step's pending owner and Pausable's flag:
    /// `createDeal` reads both with one cold storage access.
    uint16 public platformFeeCapBps;
    address public arbiter;
    address public treasury;

    mapping(bytes32 dealId => Deal) private _deals;
    mapping(address account => mapping(address token => uint256)) private _credits;

    event DealCreated(
        bytes32 indexed dealId,
        address indexed brand,
        address indexed creator,
        address token,
        uint256 amount,
        bytes32 termsHash,
        uint64 deliverBy,
        uint64 reviewPeriod,
        uint16 platformFeeBps
    );
    event Delivered(bytes32 indexed dealId, bytes32 deliverableHash, uint64 deliveredAt);
    event Approved(bytes32 indexed dealId, address indexed brand);
    event Released(bytes32 indexed dealId, address indexed by, uint256 feeAmount);
    event Refunded(bytes32 indexed dealId, address indexed brand, uint256 amount);
    event Disputed(bytes32 indexed dealId, address indexed brand);
    /// The arbiter let the dispute run past `DISPUTE_TIMEOUT`; `by` applied the default rule, whose
    /// outcome follows as a `Resolved` event.
    /// @param dealId The deal (the struct hash of its terms).
    /// @param by Whoever called `settleStaleDispute`.
    event DisputeTimedOut(bytes32 indexed dealId, address indexed by);
    event Resolved(
        bytes32 indexed dealId,
        uint16 payeeShareBps,
        uint256 toPayees,
        uint256 toBrand,
        uint256 feeAmount
    );
    /// Exactly one of these per transfer out of a deal: payees, treasury (fee) or brand (refund).
    event PayoutPaid(bytes32 indexed dealId, address indexed payee, address token, uint256 amount);
    event PayoutCredited(bytes32 indexed dealId, address indexed payee, address token, uint256 amount);
    event FeePaid(bytes32 indexed dealId, address indexed treasury, address token, uint256 amount);
    event FeeCredited(bytes32 indexed dealId, address indexed treasury, address token, uint256 amount);
    event RefundPaid(bytes32 indexed dealId, address indexed brand, address token, uint256 amount);
    event RefundCredited(bytes32 indexed dealId, address indexed brand, address token, uint256 amount);
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);
    event ArbiterChanged(address indexed previousArbiter, address indexed newArbiter);
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
    event PlatformFeeCapChanged(uint16 previousCapBps, uint16 newCapBps);

    error NotBrand(address caller);
    error NotCreator(address caller);
    error NotArbiter(address caller);
    error DealAlreadyExists(bytes32 dealId);
    error UnknownDeal(bytes32 dealId);
    error WrongStatus(bytes32 dealId, Status current, Status required);
    error SignatureExpired(uint64 signatureExpiry);
    error InvalidSignature();
    error InvalidPayees();
    error InvalidShares();
    error InvalidAmount();
    error InvalidDeadline(uint64 deliverBy);
    error FeeAboveCap(uint16 platformFeeBps, uint16 capBps);
    error WrongValue(uint256 expected, uint256 sent);
    error FeeOnTransferToken(uint256 expected, uint256 received);
    error DeliveryDeadlinePassed(uint64 deliverBy);
    error DeliveryDeadlineNotPassed(uint64 deliverBy);
    error ReviewPeriodNotOver(uint256 endsAt);
    error ReviewPeriodOver(uint256 endedAt);
    /// @param endsAt When the arbiter's time is over and anyone may settle the dispute.
    error DisputeTimeoutNotOver(uint256 endsAt);
    error InvalidShareBps(uint16 payeeShareBps);
    error NothingToWithdraw();
    error ZeroAddress();
    error RenounceDisabled();

    enum PayoutKind {
        Payee,
        Fee,
        Refund
    }

    constructor(address initialOwner, address initialArbiter, address initialTreasury, uint16 feeCapBps)
        EIP712("CollabEscrow", "1")
        Ownable(initialOwner)
    {
        _setArbiter(initialArbiter);
        _setTreasury(initialTreasury);
        _setPlatformFeeCap(feeCapBps);
    }

    // ------------------------------------------------------------------ deal lifecycle

    /// Fund a deal the creator signed. Only the brand named in the terms may call; ETH deals send
    /// exactly `amount` as value, ERC-20 deals approve this contract beforehand and send no value.
    function createDeal(DealTerms calldata terms, bytes calldata creatorSignature)
        external
        payable
        whenNotPaused
        nonReentrant
    {
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp > terms.signatureExpiry) revert SignatureExpired(terms.signatureExpiry);
        bytes32 dealId = _termsStructHash(terms);
        if (_deals[dealId].status != Status.None) revert DealAlreadyExists(dealId);
        _validateTerms(terms);
        bool isEth = terms.token == address(0);
        uint256 expectedValue = isEth ? terms.amount : 0;
        if (msg.value != expectedValue) revert WrongValue(expectedValue, msg.value);

        _requireCreatorSignature(terms.creator, _hashTypedDataV4(dealId), creatorSignature);

        _deals[dealId] = Deal({deliveredAt: 0, disputedAt: 0, status: Status.Funded});
        emit DealCreated(
            dealId,
            terms.brand,
            terms.creator,
            terms.token,
            terms.amount,
            terms.termsHash,
            terms.deliverBy,
            terms.reviewPeriod,
            terms.platformFeeBps
        );

        if (!isEth) {
            IERC20 token = IERC20(terms.token);
            uint256 balanceBefore = token.balanceOf(address(this));
            token.safeTransferFrom(msg.sender, address(this), terms.amount);
            uint256 received = token.balanceOf(address(this)) - balanceBefore;
            if (received != terms.amount) revert FeeOnTransferToken(terms.amount, received);
        }
    }

    /// Creator: the deliverable is out (`deliverableHash` identifies it off chain).
    function markDelivered(DealTerms calldata terms, bytes32 deliverableHash) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Funded);
        if (msg.sender != terms.creator) revert NotCreator(msg.sender);
        if (block.timestamp > terms.deliverBy) revert DeliveryDeadlinePassed(terms.deliverBy);
        deal.deliveredAt = uint40(block.timestamp);
        _setStatus(dealId, deal, Status.Delivered);
        emit Delivered(dealId, deliverableHash, uint64(block.timestamp));
    }

    /// Brand: accept the delivery and release the money now.
    function approve(DealTerms calldata terms) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Delivered);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        emit Approved(dealId, msg.sender);
        _release(terms, dealId, deal);
    }

    /// Anyone: the review period is over without a dispute, so a silent brand cannot hold the money.
    function release(DealTerms calldata terms) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Delivered);
        uint256 reviewEndsAt = uint256(deal.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp < reviewEndsAt) revert ReviewPeriodNotOver(reviewEndsAt);
        _release(terms, dealId, deal);
    }

    /// Brand: the deadline passed without delivery, take the whole amount back (no fee).
    function refund(DealTerms calldata terms) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Funded);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp <= terms.deliverBy) revert DeliveryDeadlineNotPassed(terms.deliverBy);
        _setStatus(dealId, deal, Status.Refunded);
        emit Refunded(dealId, terms.brand, terms.amount);
        _pay(dealId, terms.brand, terms.token, terms.amount, PayoutKind.Refund);
    }

    /// Brand: contest the delivery within the review period; the arbiter decides, or the default
    /// rule applies once `DISPUTE_TIMEOUT` has passed (see `settleStaleDispute`).
    function dispute(DealTerms calldata terms) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Delivered);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        uint256 reviewEndsAt = uint256(deal.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp >= reviewEndsAt) revert ReviewPeriodOver(reviewEndsAt);
        deal.disputedAt = uint40(block.timestamp);
        _setStatus(dealId, deal, Status.Disputed);
        emit Disputed(dealId, msg.sender);
    }

    /// Arbiter: award `payeeShareBps` of the deal amount to the payee side, at any time while the
    /// deal is disputed (also after `DISPUTE_TIMEOUT`, as long as nobody settled it). The platform
    /// fee is taken on that awarded part only; the payees split the rest by their shares (dust to
    /// the creator) and the remainder of the amount goes back to the brand in full.
    /// @param terms The deal's terms, exactly as signed.
    /// @param payeeShareBps The part of the amount awarded to the payee side, in basis points.
    function resolve(DealTerms calldata terms, uint16 payeeShareBps) external nonReentrant {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Disputed);
        if (payeeShareBps > BPS) revert InvalidShareBps(payeeShareBps);
        _resolve(terms, dealId, deal, payeeShareBps);
    }

    /// Anyone: the arbiter left the dispute open for `DISPUTE_TIMEOUT`, so the default rule ends
    /// it and the money cannot stay locked: `STALE_DISPUTE_PAYEE_SHARE_BPS` (an even split) goes
    /// to the payee side exactly as `resolve` would award it (fee on the awarded part, payees by
    /// shares, the rest back to the brand). Emits `DisputeTimedOut`, then `Resolved`. Escrow v2
    /// makes the rule part of the signed terms.
    /// @param terms The deal's terms, exactly as signed.
    function settleStaleDispute(DealTerms calldata terms) external nonReentrant {
        (bytes32 dealId, Deal memory deal) = _requireDeal(terms, Status.Disputed);
        uint256 timeoutEndsAt = uint256(deal.disputedAt) + DISPUTE_TIMEOUT;
        if (block.timestamp < timeoutEndsAt) revert DisputeTimeoutNotOver(timeoutEndsAt);
        emit DisputeTimedOut(dealId, msg.sender);
        _resolve(terms, dealId, deal, STALE_DISPUTE_PAYEE_SHARE_BPS);
    }

    /// Collect payouts that could not be pushed (the account reverted or the token refused).
    function withdraw(address token) external nonReentrant {
        _withdraw(token, msg.sender);
    }

    /// Same as `withdraw`, paid to another address (for an account that cannot receive itself).
    function withdrawTo(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(token, to);
    }

    // ------------------------------------------------------------------ views

    /// What the escrow stores for a deal: status, delivery time and dispute time (zero until then).
    /// @param dealId The EIP-712 struct hash of the deal's terms (see `dealIdOf`).
    function getDeal(bytes32 dealId) external view returns (Deal memory) {
        return _deals[dealId];
    }

    /// The id of the deal these terms make: their EIP-712 struct hash.
    /// @param terms The deal's terms.
    /// @return The deal id used in storage and in every event.
    function dealIdOf(DealTerms calldata terms) external pure returns (bytes32) {
        return _termsStructHash(terms);
    }

    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// The EIP-712 digest the creator signs for these terms (for off-chain cross-checks).
    function hashTerms(DealTerms calldata terms) external view returns (bytes32) {
        return _hashTypedDataV4(_termsStructHash(terms));
    }

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

    /// Caps the fee of deals created from now on; live deals keep the fee their creator signed.
    function setPlatformFeeCap(uint16 newCapBps) external onlyOwner {
        _setPlatformFeeCap(newCapBps);
    }

    /// Stops new deals only: refunds, releases, resolutions and withdrawals keep working.
    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    /// An ownerless escrow could never change its arbiter again, leaving disputes stuck forever.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    // ------------------------------------------------------------------ internals

    function _validateTerms(DealTerms calldata terms) private view {
        uint256 payeeCount = terms.payees.length;
        if (payeeCount == 0 || payeeCount > MAX_PAYEES || terms.payees[0] != terms.creator) {
            revert InvalidPayees();
        }
        if (terms.shares.length != payeeCount) revert InvalidShares();
        uint256 totalBps;
        for (uint256 i; i < payeeCount; ++i) {
            if (terms.payees[i] == address(0)) revert InvalidPayees();
            uint256 shareBps = terms.shares[i];
            if (shareBps == 0) revert InvalidShares();
            totalBps += shareBps;
        }
        if (totalBps != BPS) revert InvalidShares();
        if (terms.amount == 0) revert InvalidAmount();
        if (terms.deliverBy <= block.timestamp || terms.deliverBy > type(uint40).max) {
            revert InvalidDeadline(terms.deliverBy);
        }
        uint16 feeBps = terms.platformFeeBps;
        if (feeBps != 0) {
            uint16 capBps = platformFeeCapBps;
            if (feeBps > capBps) revert FeeAboveCap(feeBps, capBps);
        }
    }

    /// EIP-712 `hashStruct(terms)`. The head of the calldata struct is 13 static words in type
    /// order (the two arrays appear as offsets); copy it behind the type hash and replace the two
    /// offsets with the hashes of the arrays. abi.encode of 14 values would not fit the stack.
    function _termsStructHash(DealTerms calldata terms) private pure returns (bytes32 structHash) {
        bytes32 payeesHash = _hashWords(terms.payees.length, _offsetOf(terms.payees));
        bytes32 sharesHash = _hashWords(terms.shares.length, _offsetOf(terms.shares));
        // Raw words are hashed: a non-canonical encoding (dirty high bits) hashes differently from
        // what the creator signed, so it can neither pass the signature nor name a funded deal.
        bytes32 typeHash = DEAL_TERMS_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), terms, 0x1a0)
            mstore(add(ptr, 0xc0), payeesHash)
            mstore(add(ptr, 0xe0), sharesHash)
            structHash := keccak256(ptr, 0x1c0)
        }
    }

    /// EIP-712 `encodeData` of an array of static values is the keccak of its 32-byte words,
    /// which is exactly how the (validated) calldata array is laid out.
    function _hashWords(uint256 length, uint256 offset) private pure returns (bytes32 result) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(length, 0x20)
            calldatacopy(ptr, offset, size)
            result := keccak256(ptr, size)
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

    /// The deal these terms name (their struct hash), in the `required` status. Terms altered in
    /// any field name another id, which no deal holds.
    function _requireDeal(DealTerms calldata terms, Status required)
        private
        view
        returns (bytes32 dealId, Deal memory deal)
    {
        dealId = _termsStructHash(terms);
        deal = _deals[dealId];
        if (deal.status != required) {
            if (deal.status == Status.None) revert UnknownDeal(dealId);
            revert WrongStatus(dealId, deal.status, required);
        }
    }

    /// A slot never returns to `None`, so the same terms can never be funded twice.
    function _setStatus(bytes32 dealId, Deal memory deal, Status status) private {
        deal.status = status;
        _deals[dealId] = deal;
    }

    /// ECDSA first (cheap, and right for EOAs and EIP-7702 accounts), then ERC-1271 for contract
    /// wallets: a contract's address has no known private key, so recovery cannot match it.
    function _requireCreatorSignature(address creator, bytes32 digest, bytes calldata signature) private view {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == creator) return;
        if (!SignatureChecker.isValidERC1271SignatureNow(creator, digest, signature)) revert InvalidSignature();
    }

    function _release(DealTerms calldata terms, bytes32 dealId, Deal memory deal) private {
        _setStatus(dealId, deal, Status.Released);
        uint256 feeAmount = Math.mulDiv(terms.amount, terms.platformFeeBps, BPS);
        emit Released(dealId, msg.sender, feeAmount);
        if (feeAmount != 0) _pay(dealId, treasury, terms.token, feeAmount, PayoutKind.Fee);
        _payPayees(terms, dealId, terms.amount - feeAmount);
    }

    /// `awarded` = floor(amount * payeeShareBps / 10,000) to the payee side, the fee taken on it
    /// alone, the rest of the amount back to the brand.
    function _resolve(DealTerms calldata terms, bytes32 dealId, Deal memory deal, uint16 payeeShareBps) private {
        uint256 awarded = Math.mulDiv(terms.amount, payeeShareBps, BPS);
        uint256 feeAmount = Math.mulDiv(awarded, terms.platformFeeBps, BPS);
        uint256 toBrand = terms.amount - awarded;
        _setStatus(dealId, deal, Status.Resolved);
        emit Resolved(dealId, payeeShareBps, awarded - feeAmount, toBrand, feeAmount);
        if (feeAmount != 0) _pay(dealId, treasury, terms.token, feeAmount, PayoutKind.Fee);
        _payPayees(terms, dealId, awarded - feeAmount);
        if (toBrand != 0) _pay(dealId, terms.brand, terms.token, toBrand, PayoutKind.Refund);
    }

    /// Each payee after the first gets floor(total * share / 10,000) in full precision (no
    /// overflow for any uint256 total); the creator (payee 0) gets the rest, i.e. its own share
    /// plus the rounding dust.
    function _payPayees(DealTerms calldata terms, bytes32 dealId, uint256 total) private {
        address token = terms.token;
        address[] calldata payees = terms.payees;
        uint16[] calldata shares = terms.shares;
        uint256 paidToOthers;
        for (uint256 i = 1; i < payees.length; ++i) {
            uint256 payout = Math.mulDiv(total, shares[i], BPS);
            paidToOthers += payout;
            _pay(dealId, payees[i], token, payout, PayoutKind.Payee);
        }
        _pay(dealId, payees[0], token, total - paidToOthers, PayoutKind.Payee);
    }

    /// Push, or credit when the push fails. Zero amounts (tiny deals) move nothing and log nothing.
    function _pay(bytes32 dealId, address to, address token, uint256 amount, PayoutKind kind) private {
        if (amount == 0) return;
        bool pushed = token == address(0)
            ? Payouts.tryPushEth(to, amount)
            : Payouts.tryPushToken(token, to, amount);
        if (!pushed) _credits[to][token] += amount;
        if (kind == PayoutKind.Payee) {
            if (pushed) emit PayoutPaid(dealId, to, token, amount);
            else emit PayoutCredited(dealId, to, token, amount);
        } else if (kind == PayoutKind.Fee) {
            if (pushed) emit FeePaid(dealId, to, token, amount);
            else emit FeeCredited(dealId, to, token, amount);
        } else {
            if (pushed) emit RefundPaid(dealId, to, token, amount);
            else emit RefundCredited(dealId, to, token, amount);
        }
    }

    function _withdraw(address token, address to) private {
        uint256 amount = _credits[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw();
        _credits[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, to, amount);
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
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
