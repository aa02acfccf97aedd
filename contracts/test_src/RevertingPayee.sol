// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Test-only payee that refuses ETH until switched to accept, then can act (e.g. withdraw) itself.
contract RevertingPayee {
    bool public accepting;

    error PaymentRefused();

    function setAccepting(bool accept) external {
        accepting = accept;
    }

    /// Lets a test make this contract call another one (e.g. `withdraw` on the escrow).
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
        if (!accepting) revert PaymentRefused();
    }
}
