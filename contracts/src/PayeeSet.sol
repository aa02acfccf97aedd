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
    function validate(address[] calldata payees, uint16[] calldata shares, uint256 maxPayees) internal pure {
        uint256 count = payees.length;
        if (count == 0 || count > maxPayees) revert InvalidPayeeCount(count);
        if (shares.length != count) revert ShareCountMismatch(count, shares.length);
        uint256 totalBps;
        for (uint256 i; i < count; ++i) {
            address payee = payees[i];
            if (payee == address(0)) revert ZeroPayee(i);
            for (uint256 j; j < i; ++j) {
                if (payees[j] == payee) revert DuplicatePayee(i, payee);
            }
            uint256 shareBps = shares[i];
            if (shareBps == 0) revert ZeroShare(i);
            totalBps += shareBps;
        }
        if (totalBps != BPS) revert SharesDoNotSum(totalBps);
    }
}
