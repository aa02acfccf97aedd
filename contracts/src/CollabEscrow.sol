// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Payouts} from "./Payouts.sol";

/// @title Collab escrow: one contract holds every brand-creator deal on a chain.
/// @notice A brand funds a deal whose terms the creator signed (EIP-712, ERC-1271 wallets too).
/// The creator marks it delivered; the brand approves, or anyone releases once the review period
/// is over; the brand gets a refund when nothing was delivered in time; a dispute goes to the
/// arbiter. Release pays the platform fee, then every payee by share, dust to the creator.
///
/// Storage per deal is two slots: the EIP-712 struct hash of the signed terms, and one packed slot
/// with what changes (status, delivery time) plus what `markDelivered` needs (creator, deadline).
/// Every other action takes the full terms as calldata and checks them against the stored hash,
/// which is much cheaper than storing the terms (payees and shares included) on chain.
contract CollabEscrow is EIP712, Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// What the creator signs. `token` is address(0) for ETH. `payees[0]` is the creator; shares
    /// are basis points summing to exactly 10,000. Field order is the calldata layout that
    /// `_termsStructHash` relies on: do not reorder without updating it.
    struct DealTerms {
        bytes32 dealId;
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

    /// The mutable part of a deal, packed in one slot (160 + 40 + 40 + 8 bits).
    struct DealState {
        address creator;
        uint40 deliverBy;
        uint40 deliveredAt;
        Status status;
    }

    bytes32 public constant DEAL_TERMS_TYPEHASH = keccak256(
        "DealTerms(bytes32 dealId,address brand,address creator,address token,uint256 amount,"
        "address[] payees,uint16[] shares,uint16 platformFeeBps,uint64 deliverBy,"
        "uint64 reviewPeriod,bytes32 termsHash,bool isVirtual,uint64 signatureExpiry)"
    );
    uint256 public constant BPS = 10_000;
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    uint256 public constant MAX_PAYEES = 16;

    mapping(bytes32 dealId => DealState) private _dealStates;
    /// EIP-712 struct hash of the signed terms; cleared once the deal is final (gas refund).
    mapping(bytes32 dealId => bytes32) private _termsDigests;
    mapping(address account => mapping(address token => uint256)) private _credits;

    address public arbiter;
    address public treasury;
    uint16 public platformFeeCapBps;

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
    error TermsMismatch(bytes32 dealId);
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
        bytes32 dealId = terms.dealId;
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp > terms.signatureExpiry) revert SignatureExpired(terms.signatureExpiry);
        if (_dealStates[dealId].status != Status.None) revert DealAlreadyExists(dealId);
        _validateTerms(terms);
        bool isEth = terms.token == address(0);
        uint256 expectedValue = isEth ? terms.amount : 0;
        if (msg.value != expectedValue) revert WrongValue(expectedValue, msg.value);

        bytes32 structHash = _termsStructHash(terms);
        if (!SignatureChecker.isValidSignatureNow(terms.creator, _hashTypedDataV4(structHash), creatorSignature)) {
            revert InvalidSignature();
        }

        _dealStates[dealId] = DealState({
            creator: terms.creator,
            deliverBy: uint40(terms.deliverBy),
            deliveredAt: 0,
            status: Status.Funded
        });
        _termsDigests[dealId] = structHash;
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
    function markDelivered(bytes32 dealId, bytes32 deliverableHash) external nonReentrant {
        DealState memory state = _requireStatus(dealId, Status.Funded);
        if (msg.sender != state.creator) revert NotCreator(msg.sender);
        if (block.timestamp > state.deliverBy) revert DeliveryDeadlinePassed(state.deliverBy);
        _dealStates[dealId] = DealState({
            creator: state.creator,
            deliverBy: state.deliverBy,
            deliveredAt: uint40(block.timestamp),
            status: Status.Delivered
        });
        emit Delivered(dealId, deliverableHash, uint64(block.timestamp));
    }

    /// Brand: accept the delivery and release the money now.
    function approve(DealTerms calldata terms) external nonReentrant {
        DealState memory state = _requireStatus(terms.dealId, Status.Delivered);
        _requireTerms(terms);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        emit Approved(terms.dealId, msg.sender);
        _release(terms, state);
    }

    /// Anyone: the review period is over without a dispute, so a silent brand cannot hold the money.
    function release(DealTerms calldata terms) external nonReentrant {
        DealState memory state = _requireStatus(terms.dealId, Status.Delivered);
        _requireTerms(terms);
        uint256 reviewEndsAt = uint256(state.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp < reviewEndsAt) revert ReviewPeriodNotOver(reviewEndsAt);
        _release(terms, state);
    }

    /// Brand: the deadline passed without delivery, take the whole amount back (no fee).
    function refund(DealTerms calldata terms) external nonReentrant {
        DealState memory state = _requireStatus(terms.dealId, Status.Funded);
        _requireTerms(terms);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        if (block.timestamp <= state.deliverBy) revert DeliveryDeadlineNotPassed(state.deliverBy);
        _finalize(terms.dealId, state, Status.Refunded);
        emit Refunded(terms.dealId, terms.brand, terms.amount);
        _pay(terms.dealId, terms.brand, terms.token, terms.amount, PayoutKind.Refund);
    }

    /// Brand: contest the delivery within the review period; the arbiter decides.
    function dispute(DealTerms calldata terms) external nonReentrant {
        DealState memory state = _requireStatus(terms.dealId, Status.Delivered);
        _requireTerms(terms);
        if (msg.sender != terms.brand) revert NotBrand(msg.sender);
        uint256 reviewEndsAt = uint256(state.deliveredAt) + terms.reviewPeriod;
        if (block.timestamp >= reviewEndsAt) revert ReviewPeriodOver(reviewEndsAt);
        state.status = Status.Disputed;
        _dealStates[terms.dealId] = state;
        emit Disputed(terms.dealId, msg.sender);
    }

    /// Arbiter: award `payeeShareBps` of the deal amount to the payee side. The platform fee is
    /// taken on that awarded part only; the payees split the rest by their shares (dust to the
    /// creator) and the remainder of the amount goes back to the brand in full.
    function resolve(DealTerms calldata terms, uint16 payeeShareBps) external nonReentrant {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        DealState memory state = _requireStatus(terms.dealId, Status.Disputed);
        _requireTerms(terms);
        if (payeeShareBps > BPS) revert InvalidShareBps(payeeShareBps);
        uint256 awarded = (terms.amount * payeeShareBps) / BPS;
        uint256 feeAmount = (awarded * terms.platformFeeBps) / BPS;
        uint256 toBrand = terms.amount - awarded;
        _finalize(terms.dealId, state, Status.Resolved);
        emit Resolved(terms.dealId, payeeShareBps, awarded - feeAmount, toBrand, feeAmount);
        if (feeAmount != 0) _pay(terms.dealId, treasury, terms.token, feeAmount, PayoutKind.Fee);
        _payPayees(terms, awarded - feeAmount);
        if (toBrand != 0) _pay(terms.dealId, terms.brand, terms.token, toBrand, PayoutKind.Refund);
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

    function dealState(bytes32 dealId) external view returns (DealState memory) {
        return _dealStates[dealId];
    }

    /// The stored EIP-712 struct hash of a live deal's terms (zero when unknown or final).
    function termsDigest(bytes32 dealId) external view returns (bytes32) {
        return _termsDigests[dealId];
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
        bytes32 payeesHash = keccak256(abi.encodePacked(terms.payees));
        bytes32 sharesHash = keccak256(abi.encodePacked(terms.shares));
        // Raw words are hashed: a non-canonical encoding (dirty high bits) hashes differently from
        // what the creator signed, so it can neither pass the signature nor match the stored hash.
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

    function _requireStatus(bytes32 dealId, Status required) private view returns (DealState memory state) {
        state = _dealStates[dealId];
        if (state.status != required) {
            if (state.status == Status.None) revert UnknownDeal(dealId);
            revert WrongStatus(dealId, state.status, required);
        }
    }

    function _requireTerms(DealTerms calldata terms) private view {
        if (_termsDigests[terms.dealId] != _termsStructHash(terms)) revert TermsMismatch(terms.dealId);
    }

    /// Final states keep the packed slot (so the deal id stays used) and drop the terms hash.
    function _finalize(bytes32 dealId, DealState memory state, Status finalStatus) private {
        state.status = finalStatus;
        _dealStates[dealId] = state;
        delete _termsDigests[dealId];
    }

    function _release(DealTerms calldata terms, DealState memory state) private {
        _finalize(terms.dealId, state, Status.Released);
        uint256 feeAmount = (terms.amount * terms.platformFeeBps) / BPS;
        emit Released(terms.dealId, msg.sender, feeAmount);
        if (feeAmount != 0) _pay(terms.dealId, treasury, terms.token, feeAmount, PayoutKind.Fee);
        _payPayees(terms, terms.amount - feeAmount);
    }

    /// Each payee after the first gets floor(total * share / 10,000); the creator (payee 0) gets
    /// the rest, i.e. its own share plus the rounding dust.
    function _payPayees(DealTerms calldata terms, uint256 total) private {
        bytes32 dealId = terms.dealId;
        address token = terms.token;
        uint256 paidToOthers;
        uint256 payeeCount = terms.payees.length;
        for (uint256 i = 1; i < payeeCount; ++i) {
            uint256 payout = (total * terms.shares[i]) / BPS;
            paidToOthers += payout;
            _pay(dealId, terms.payees[i], token, payout, PayoutKind.Payee);
        }
        _pay(dealId, terms.payees[0], token, total - paidToOthers, PayoutKind.Payee);
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
