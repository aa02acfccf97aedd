// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Test-only payee that burns every unit of gas it is given when paid ETH.
contract GasGriefPayee {
    /// Lets a test make this contract call another one (e.g. `withdrawTo` on the escrow).
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    receive() external payable {
        assembly {
            for {} 1 {} {}
        }
    }
}
