// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The Collab escrow: one contract holds every brand-creator deal on a chain.
/// @notice A deal is funded once by its brand on terms the creator signed (EIP-712). Its amount is
/// split into 1..`MAX_MILESTONES` milestones, each with its own amount and delivery deadline; each
/// milestone is delivered, approved (or released by anyone after the review period), refunded,
/// disputed, resolved by the arbiter, settled by both parties' signatures, or ended by the dispute
/// rule written in the terms once the arbiter's deadline has passed. The creator's actions
/// (deliver, settlement signature, withdraw) can be signed and relayed by anyone, so a creator
/// needs no ETH. A deal's id is the EIP-712 struct hash of its terms; actions that move money take
/// the terms as calldata and recompute the id, so nothing but a per-milestone slot is stored.
interface ICollabEscrow {
    /// One milestone of a deal: its part of the amount and its delivery deadline.
    struct Milestone {
        uint256 amount;
        uint64 deliverBy;
    }

    /// What the creator signs (EIP-712 `DealTerms`); its struct hash is the deal's id. `salt` is
    /// random per offer. `token` is address(0) for ETH. `payees[0]` is the creator, shares are
    /// basis points summing to 10,000. Milestone amounts sum to `amount`. When a dispute is left
    /// open `disputeTimeout` seconds, anyone may end it by the rule: `disputeRulePayeeBps` of the
    /// milestone to the payee side (0 refunds the brand, 10,000 pays the creator's side in full).
    struct DealTerms {
        bytes32 salt;
        address brand;
        address creator;
        address token;
        uint256 amount;
        address[] payees;
        uint16[] shares;
        Milestone[] milestones;
        uint16 platformFeeBps;
        uint64 reviewPeriod;
        uint64 disputeTimeout;
        uint16 disputeRulePayeeBps;
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

    /// How a milestone's money was split when it did not simply release.
    enum Resolution {
        Arbiter,
        Settlement,
        DisputeRule
    }

    /// Everything stored per milestone, in one slot (160 + 40 + 40 + 8 bits). `creator` is copied
    /// from the terms so that a delivery needs only the deal id. `deadline` is the time the next
    /// step is bounded by: the delivery deadline while funded, the arbiter's deadline once disputed.
    struct MilestoneState {
        address creator;
        uint40 deadline;
        uint40 deliveredAt;
        Status status;
    }

    /// @notice A brand funded a deal.
    /// @param dealId The deal's id (EIP-712 struct hash of its terms).
    /// @param brand The brand that funded it.
    /// @param creator The creator who signed the terms.
    /// @param token The token (address(0) for ETH).
    /// @param amount The whole amount, all milestones together.
    /// @param milestoneCount How many milestones the deal has.
    event DealCreated(
        bytes32 indexed dealId,
        address indexed brand,
        address indexed creator,
        address token,
        uint256 amount,
        uint256 milestoneCount
    );
    /// @notice The creator marked a milestone delivered.
    /// @param dealId The deal.
    /// @param milestone The milestone's index in the terms.
    /// @param deliverableHash Identifies the delivered work off chain.
    /// @param deliveredAt The block time of the delivery.
    event Delivered(bytes32 indexed dealId, uint256 milestone, bytes32 deliverableHash, uint64 deliveredAt);
    /// @notice The brand approved a delivered milestone; its money is paid out.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param feeAmount The platform fee taken.
    event Approved(bytes32 indexed dealId, uint256 milestone, uint256 feeAmount);
    /// @notice Anyone released a delivered milestone after its review period.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param by Who called `release`.
    /// @param feeAmount The platform fee taken.
    event Released(bytes32 indexed dealId, uint256 milestone, address indexed by, uint256 feeAmount);
    /// @notice The brand took back an undelivered milestone after its deadline.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param amount The milestone's amount, refunded in full.
    event Refunded(bytes32 indexed dealId, uint256 milestone, uint256 amount);
    /// @notice The brand disputed a delivered milestone within its review period.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param ruleAppliesAt When anyone may end the dispute by the rule in the terms.
    event Disputed(bytes32 indexed dealId, uint256 milestone, uint64 ruleAppliesAt);
    /// @notice A milestone's money was split by the arbiter, a mutual settlement or the dispute rule.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param how Which of the three decided.
    /// @param payeeShareBps The part of the milestone awarded to the payee side, in basis points.
    /// @param toPayees What the payees received together (after the fee).
    /// @param toBrand What went back to the brand.
    /// @param feeAmount The platform fee, taken on the awarded part only.
    event Resolved(
        bytes32 indexed dealId,
        uint256 milestone,
        Resolution how,
        uint16 payeeShareBps,
        uint256 toPayees,
        uint256 toBrand,
        uint256 feeAmount
    );
    /// @notice A payee was paid. Exactly one payout event per transfer out of a deal.
    /// @param dealId The deal.
    /// @param payee The payee.
    /// @param token The token (address(0) for ETH).
    /// @param amount The amount pushed.
    event PayoutPaid(bytes32 indexed dealId, address indexed payee, address token, uint256 amount);
    /// @notice A payee could not receive; the amount is credited for `withdraw`.
    /// @param dealId The deal.
    /// @param payee The payee.
    /// @param token The token (address(0) for ETH).
    /// @param amount The amount credited.
    event PayoutCredited(bytes32 indexed dealId, address indexed payee, address token, uint256 amount);
    /// @notice The platform fee was paid to the treasury.
    /// @param dealId The deal.
    /// @param treasury The treasury.
    /// @param token The token.
    /// @param amount The fee.
    event FeePaid(bytes32 indexed dealId, address indexed treasury, address token, uint256 amount);
    /// @notice The treasury could not receive its fee; it is credited.
    /// @param dealId The deal.
    /// @param treasury The treasury.
    /// @param token The token.
    /// @param amount The fee.
    event FeeCredited(bytes32 indexed dealId, address indexed treasury, address token, uint256 amount);
    /// @notice Money went back to the brand (refund, or the brand's part of a resolution).
    /// @param dealId The deal.
    /// @param brand The brand.
    /// @param token The token.
    /// @param amount The amount.
    event RefundPaid(bytes32 indexed dealId, address indexed brand, address token, uint256 amount);
    /// @notice The brand could not receive its money back; it is credited.
    /// @param dealId The deal.
    /// @param brand The brand.
    /// @param token The token.
    /// @param amount The amount.
    event RefundCredited(bytes32 indexed dealId, address indexed brand, address token, uint256 amount);
    /// @notice The arbiter changed.
    /// @param previousArbiter The arbiter before.
    /// @param newArbiter The arbiter now.
    event ArbiterChanged(address indexed previousArbiter, address indexed newArbiter);
    /// @notice The treasury changed.
    /// @param previousTreasury The treasury before.
    /// @param newTreasury The treasury now.
    event TreasuryChanged(address indexed previousTreasury, address indexed newTreasury);
    /// @notice The cap on the platform fee of new deals changed.
    /// @param previousCapBps The cap before.
    /// @param newCapBps The cap now.
    event PlatformFeeCapChanged(uint16 previousCapBps, uint16 newCapBps);

    /// @param caller The caller, who is not the deal's brand.
    error NotBrand(address caller);
    /// @param caller The caller (or the signer), who is not the deal's creator.
    error NotCreator(address caller);
    /// @param caller The caller, who is not the arbiter.
    error NotArbiter(address caller);
    /// @param dealId These terms were funded already.
    error DealAlreadyExists(bytes32 dealId);
    /// @param dealId No deal was funded with terms of this id.
    error UnknownDeal(bytes32 dealId);
    /// @param dealId The deal.
    /// @param milestone The milestone index, beyond the deal's milestones.
    error UnknownMilestone(bytes32 dealId, uint256 milestone);
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param current Its status.
    /// @param required The status the action needs.
    error WrongStatus(bytes32 dealId, uint256 milestone, Status current, Status required);
    /// @param deadline The signature's expiry, passed.
    error SignatureExpired(uint64 deadline);
    /// The signature is not the expected signer's (ECDSA or ERC-1271) for this digest.
    /// @param signer Whose signature was expected.
    error InvalidSignature(address signer);
    // Payee-set errors (InvalidPayeeCount, ShareCountMismatch, ZeroPayee, DuplicatePayee,
    // ZeroShare, SharesDoNotSum) come from the shared `PayeeSet` library.

    /// @param firstPayee The first payee, who is not the creator.
    error CreatorNotFirstPayee(address firstPayee);
    /// @param milestoneCount The number of milestones, not within 1..MAX_MILESTONES.
    error InvalidMilestoneCount(uint256 milestoneCount);
    /// @param index The milestone with a zero amount.
    error ZeroMilestoneAmount(uint256 index);
    /// @param index The milestone whose deadline is in the past or out of range.
    /// @param deliverBy Its deadline.
    error InvalidMilestoneDeadline(uint256 index, uint64 deliverBy);
    /// @param sum The sum of the milestone amounts.
    /// @param amount The deal amount they must sum to.
    error MilestonesDoNotSum(uint256 sum, uint256 amount);
    /// @param disputeTimeout The arbiter's time, not within MIN_/MAX_DISPUTE_TIMEOUT.
    /// @param disputeRulePayeeBps The rule's payee share, at most 10,000.
    error InvalidDisputeRule(uint64 disputeTimeout, uint16 disputeRulePayeeBps);
    /// @param platformFeeBps The fee asked.
    /// @param capBps The cap it exceeds.
    error FeeAboveCap(uint16 platformFeeBps, uint16 capBps);
    /// @param expected The value the call needs (the amount for ETH deals, 0 otherwise).
    /// @param sent The value sent.
    error WrongValue(uint256 expected, uint256 sent);
    /// A permit can only fund an ERC-20 deal.
    error PermitNeedsToken();
    /// @param expected The amount that had to arrive.
    /// @param received What the token delivered.
    error FeeOnTransferToken(uint256 expected, uint256 received);
    /// @param deadline The milestone's delivery deadline, passed.
    error DeliveryDeadlinePassed(uint64 deadline);
    /// @param deadline The milestone's delivery deadline, not passed yet.
    error DeliveryDeadlineNotPassed(uint64 deadline);
    /// @param endsAt When the review period ends.
    error ReviewPeriodNotOver(uint256 endsAt);
    /// @param endedAt When the review period ended.
    error ReviewPeriodOver(uint256 endedAt);
    /// @param ruleAppliesAt When the arbiter's time ends and the rule may be applied.
    error DisputeRuleNotApplicable(uint256 ruleAppliesAt);
    /// @param ruleAppliesAt When the arbiter's time ended.
    error ArbiterDeadlinePassed(uint256 ruleAppliesAt);
    /// @param payeeShareBps The share asked, above 10,000.
    error InvalidShareBps(uint16 payeeShareBps);
    /// Ownership cannot be renounced: an ownerless escrow could never change its arbiter.
    error RenounceDisabled();

    /// @notice Brand: fund a deal the creator signed. ETH deals send exactly `terms.amount` as
    /// value; ERC-20 deals approve this contract beforehand (or use `createDealWithPermit`).
    /// @param terms The terms exactly as the creator signed them.
    /// @param creatorSignature The creator's EIP-712 signature of the terms (65 bytes, or ERC-1271).
    /// @return dealId The deal's id.
    function createDeal(DealTerms calldata terms, bytes calldata creatorSignature)
        external
        payable
        returns (bytes32 dealId);

    /// @notice Brand: fund an ERC-20 deal in one transaction with the token's EIP-2612 permit. A
    /// permit someone else submitted first (front-run) is not an error: the allowance is used.
    /// @param terms The terms exactly as the creator signed them.
    /// @param creatorSignature The creator's signature of the terms.
    /// @param permitDeadline The permit's deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return dealId The deal's id.
    function createDealWithPermit(
        DealTerms calldata terms,
        bytes calldata creatorSignature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 dealId);

    /// @notice Creator: a milestone's deliverable is out, before its deadline.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param deliverableHash Identifies the delivered work off chain.
    function markDelivered(bytes32 dealId, uint256 milestone, bytes32 deliverableHash) external;

    /// @notice Anyone, with the creator's EIP-712 `Deliver` signature: `markDelivered` relayed.
    /// The signature covers the creator's current nonce, a deadline, the chain and this contract.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @param deliverableHash Identifies the delivered work off chain.
    /// @param deadline The signature's expiry.
    /// @param signature The creator's signature.
    function markDeliveredBySig(
        bytes32 dealId,
        uint256 milestone,
        bytes32 deliverableHash,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Brand: accept a delivered milestone and pay it out now (fee, then payees by share).
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    function approveDelivery(DealTerms calldata terms, uint256 milestone) external;

    /// @notice Anyone: the milestone's review period is over without a dispute; pay it out.
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    function release(DealTerms calldata terms, uint256 milestone) external;

    /// @notice Brand: the milestone's deadline passed without delivery; take its amount back.
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    function refund(DealTerms calldata terms, uint256 milestone) external;

    /// @notice Brand: contest a delivered milestone within its review period. The arbiter has
    /// `terms.disputeTimeout` to resolve it; then anyone may apply the rule in the terms.
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    function dispute(DealTerms calldata terms, uint256 milestone) external;

    /// @notice Arbiter, before the dispute's deadline: award `payeeShareBps` of the milestone to
    /// the payee side (fee on that part only), the rest back to the brand.
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    /// @param payeeShareBps The awarded part, in basis points.
    function resolve(DealTerms calldata terms, uint256 milestone, uint16 payeeShareBps) external;

    /// @notice Anyone, once the arbiter's deadline has passed: end the dispute by the rule the
    /// creator and the brand agreed in the terms (`disputeRulePayeeBps`).
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    function applyDisputeRule(DealTerms calldata terms, uint256 milestone) external;

    /// @notice Anyone, with both parties' EIP-712 `Settlement` signatures: split an open milestone
    /// (funded, delivered or disputed) as they agreed, exactly as `resolve` would.
    /// @param terms The deal's terms.
    /// @param milestone The milestone.
    /// @param payeeShareBps The agreed part for the payee side, in basis points.
    /// @param deadline The signatures' expiry.
    /// @param brandSignature The brand's signature.
    /// @param creatorSignature The creator's signature.
    function settle(
        DealTerms calldata terms,
        uint256 milestone,
        uint16 payeeShareBps,
        uint64 deadline,
        bytes calldata brandSignature,
        bytes calldata creatorSignature
    ) external;

    /// @notice Anyone, with `account`'s EIP-712 `Withdraw` signature: pay `account`'s credit in
    /// `token` to `to` (consumes `account`'s nonce).
    /// @param account Whose credit.
    /// @param token The token (address(0) for ETH).
    /// @param to Where the money goes.
    /// @param deadline The signature's expiry.
    /// @param signature The account's signature.
    function withdrawBySig(address account, address token, address to, uint64 deadline, bytes calldata signature)
        external;

    /// @notice What the escrow stores for a milestone.
    /// @param dealId The deal.
    /// @param milestone The milestone.
    /// @return The milestone's state (status None for an unknown deal or milestone).
    function milestoneOf(bytes32 dealId, uint256 milestone) external view returns (MilestoneState memory);

    /// @notice The id of the deal these terms make: their EIP-712 struct hash.
    /// @param terms The terms.
    /// @return The deal id.
    function dealIdOf(DealTerms calldata terms) external pure returns (bytes32);

    /// @notice The EIP-712 digest the creator signs for these terms.
    /// @param terms The terms.
    /// @return The digest.
    function hashTerms(DealTerms calldata terms) external view returns (bytes32);

    /// @notice Set the arbiter (owner).
    /// @param newArbiter The new arbiter.
    function setArbiter(address newArbiter) external;

    /// @notice Set the treasury that receives platform fees (owner).
    /// @param newTreasury The new treasury.
    function setTreasury(address newTreasury) external;

    /// @notice Cap the fee of deals created from now on (owner); live deals keep theirs.
    /// @param newCapBps The new cap, at most MAX_PLATFORM_FEE_BPS.
    function setPlatformFeeCap(uint16 newCapBps) external;

    /// @notice Stop new deals (owner). Nothing else stops: payouts, refunds, withdrawals go on.
    function pause() external;

    /// @notice Accept new deals again (owner).
    function unpause() external;
}
