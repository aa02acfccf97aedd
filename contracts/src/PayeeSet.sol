// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Payee sets: one validation shared by the escrow and the splitter factory.
/// @notice A payee set is 1..maxPayees distinct non-zero addresses, each with a non-zero share in
/// basis points, the shares summing to exactly 10,000. Every error names what is wrong.
library PayeeSet {
    uint256 internal constant BPS = 10_000;

    /// @param count The number of payees, not within 1..maxPayees.
    error InvalidPayeeCount(uint256 count);
    /// @param payees The number of payees.
    /// @param shares The number of shares, which differs.
    error ShareCountMismatch(uint256 payees, uint256 shares);
    /// @param index The payee that is the zero address.
    error ZeroPayee(uint256 index);
    /// @param index The payee listed a second time.
    /// @param payee Its address.
    error DuplicatePayee(uint256 index, address payee);
    /// @param index The payee whose share is zero.
    error ZeroShare(uint256 index);
    /// @param totalBps The sum of the shares, which is not 10,000.
    error SharesDoNotSum(uint256 totalBps);

    /// Reverts with the first problem found; returns nothing when the set is valid.
    /// The words are read straight from calldata (the compiler's per-element bounds check and
    /// cleanup, done again for every pair of the duplicate scan, cost more than the scan itself);
    /// a word with dirty high bits reverts without data, as the ABI decoder does.
    function validate(address[] calldata payees, uint16[] calldata shares, uint256 maxPayees) internal pure {
        uint256 count = payees.length;
        if (count == 0 || count > maxPayees) revert InvalidPayeeCount(count);
        if (shares.length != count) revert ShareCountMismatch(count, shares.length);
        uint256 totalBps;
        for (uint256 i; i < count; ++i) {
            address payee = payeeAt(payees, i);
            if (payee == address(0)) revert ZeroPayee(i);
            // Earlier words passed the dirty-bits check, so comparing raw words is exact.
            bool duplicate;
            assembly ("memory-safe") {
                for {
                    let at := payees.offset
                    let end := add(at, shl(5, i))
                } lt(at, end) { at := add(at, 0x20) } {
                    if eq(calldataload(at), payee) {
                        duplicate := 1
                        break
                    }
                }
            }
            if (duplicate) revert DuplicatePayee(i, payee);
            uint256 shareBps = shareAt(shares, i);
            if (shareBps == 0) revert ZeroShare(i);
            totalBps += shareBps;
        }
        if (totalBps != BPS) revert SharesDoNotSum(totalBps);
    }

    /// `payees[i]` for an index the caller knows is below `payees.length` (the slice itself was
    /// bounds-checked when it was taken from calldata).
    function payeeAt(address[] calldata payees, uint256 i) internal pure returns (address payee) {
        assembly ("memory-safe") {
            let word := calldataload(add(payees.offset, shl(5, i)))
            if shr(160, word) { revert(0, 0) }
            payee := word
        }
    }

    /// `shares[i]`, same terms as `_payeeAt`.
    function shareAt(uint16[] calldata shares, uint256 i) internal pure returns (uint256 shareBps) {
        assembly ("memory-safe") {
            shareBps := calldataload(add(shares.offset, shl(5, i)))
            if shr(16, shareBps) { revert(0, 0) }
        }
    }
}
