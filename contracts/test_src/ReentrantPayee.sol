// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// Test-only attacker: when paid ETH it replays a stored call (release, approve, withdraw...) on a
/// target, records the outcome in an event and accepts the payment either way.
/// The replayed calldata is kept as the code of a tiny data contract (read with EXTCODECOPY) so
/// the attack fits in the small gas budget a payout push gives it.
contract ReentrantPayee {
    address public target;
    address public attackCode;
    bool public rejectPayments;

    event ReentryAttempt(bool success, bytes returnData);

    error PaymentRefused();

    function arm(address target_, bytes calldata data) external {
        target = target_;
        // Init code that returns everything after its 12-byte header as runtime code; a leading
        // STOP byte keeps the code from starting with 0xEF (EIP-3541).
        bytes memory runtime = abi.encodePacked(hex"00", data);
        bytes memory initCode = abi.encodePacked(
            hex"61", uint16(runtime.length), hex"80600c6000396000f3", runtime
        );
        address code;
        assembly ("memory-safe") {
            code := create(0, add(initCode, 0x20), mload(initCode))
        }
        require(code != address(0), "ReentrantPayee: data contract");
        attackCode = code;
    }

    function disarm() external {
        target = address(0);
    }

    function setRejectPayments(bool reject) external {
        rejectPayments = reject;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    receive() external payable {
        if (rejectPayments) revert PaymentRefused();
        address to = target;
        if (to == address(0)) return;
        address code = attackCode;
        uint256 size = code.code.length - 1;
        bytes memory data = new bytes(size);
        assembly ("memory-safe") {
            extcodecopy(code, add(data, 0x20), 1, size)
        }
        (bool success, bytes memory returnData) = to.call(data);
        emit ReentryAttempt(success, returnData);
    }
}
