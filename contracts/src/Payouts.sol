// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Push payouts that may fail without reverting the caller.
/// @notice Shared by the escrow and the revenue splitter: a payout is attempted with a bounded gas
/// budget and reports failure instead of reverting, so the caller can credit the payee and carry on.
/// One payee that reverts, burns gas or is blocked by the token can never block the others.
library Payouts {
    /// Gas offered to a payee's code on an ETH push: enough for smart-contract wallets (proxy +
    /// event), small enough that a griefing payee can burn at most this much per payout.
    uint256 internal constant ETH_PUSH_GAS = 30_000;
    /// Gas offered to the token on an ERC-20 push (a proxied stablecoin transfer needs ~60k).
    uint256 internal constant TOKEN_PUSH_GAS = 100_000;

    /// The caller did not forward enough gas for the payee to get its full budget; without this
    /// check a caller could starve a payout on purpose and force the payee onto the credit path.
    error InsufficientGasForPayout();

    /// @return ok true when `to` received `amount` wei.
    function tryPushEth(address to, uint256 amount) internal returns (bool ok) {
        // No return data is copied (output size 0), so a return-data bomb costs the caller nothing.
        assembly ("memory-safe") {
            ok := call(ETH_PUSH_GAS, to, amount, 0, 0, 0, 0)
        }
        if (!ok) _revertIfStarved(ETH_PUSH_GAS);
    }

    /// @return ok true when the token reported a successful transfer (OpenZeppelin's
    /// SafeERC20 rules: no return data from a contract, or a return value of true).
    function tryPushToken(address token, address to, uint256 amount) internal returns (bool ok) {
        bytes memory data = abi.encodeCall(IERC20.transfer, (to, amount));
        bool success;
        uint256 returnSize;
        uint256 returnValue;
        assembly ("memory-safe") {
            // Only the first 32 bytes of return data are copied (into scratch space).
            success := call(TOKEN_PUSH_GAS, token, 0, add(data, 0x20), mload(data), 0, 0x20)
            returnSize := returndatasize()
            returnValue := mload(0)
        }
        ok = success && (returnSize == 0 ? token.code.length > 0 : returnSize >= 32 && returnValue == 1);
        if (!success) _revertIfStarved(TOKEN_PUSH_GAS);
    }

    /// After a failed call: if the callee could not have received its full budget (63/64 rule),
    /// the failure may be ours, not the payee's, so revert and let the caller retry with more gas.
    function _revertIfStarved(uint256 budget) private view {
        if (gasleft() <= budget / 63) revert InsufficientGasForPayout();
    }
}
