// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {RevenueSplitter} from "./RevenueSplitter.sol";

/// @title Factory of revenue splitters: one cheap EIP-1167 clone per payee set.
/// @notice The payee list and shares are the clone's immutable args and CREATE2 is used with a fixed
/// salt, so the same ordered set always maps to the same address, known before creation through
/// `predict`. Payee 0 receives the rounding dust (put the creator first).
contract SplitterFactory {
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_PAYEES = 16;
    bytes32 private constant SALT = bytes32(0);

    address public immutable implementation;

    event SplitterCreated(address indexed splitter, address[] payees, uint16[] shares);

    error InvalidPayees();
    error InvalidShares();

    constructor() {
        implementation = address(new RevenueSplitter());
    }

    /// Create the splitter for this payee set, or return it if it already exists.
    function createSplitter(address[] calldata payees, uint16[] calldata shares) external returns (address splitter) {
        bytes memory args = _encodeArgs(payees, shares);
        splitter = Clones.predictDeterministicAddressWithImmutableArgs(implementation, args, SALT);
        if (splitter.code.length == 0) {
            Clones.cloneDeterministicWithImmutableArgs(implementation, args, SALT);
            emit SplitterCreated(splitter, payees, shares);
        }
    }

    function predict(address[] calldata payees, uint16[] calldata shares) external view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(implementation, _encodeArgs(payees, shares), SALT);
    }

    function _encodeArgs(address[] calldata payees, uint16[] calldata shares) private pure returns (bytes memory args) {
        uint256 payeeCount = payees.length;
        if (payeeCount == 0 || payeeCount > MAX_PAYEES) revert InvalidPayees();
        if (shares.length != payeeCount) revert InvalidShares();
        uint256 totalBps;
        for (uint256 i; i < payeeCount; ++i) {
            if (payees[i] == address(0)) revert InvalidPayees();
            if (shares[i] == 0) revert InvalidShares();
            totalBps += shares[i];
            args = abi.encodePacked(args, payees[i], shares[i]);
        }
        if (totalBps != BPS) revert InvalidShares();
    }
}
