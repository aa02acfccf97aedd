// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {PayeeSet} from "./PayeeSet.sol";
import {RevenueSplitter} from "./RevenueSplitter.sol";

/// @title Factory of revenue splitters: one cheap EIP-1167 clone per payee set.
/// @notice A payee set has one address whatever order its payees are given in: the factory sorts
/// the pairs (payee, share) by ascending address before making them the clone's immutable args,
/// and CREATE2 uses a fixed salt, so `predict` answers before creation and `createSplitter` of the
/// same set in any order returns the same splitter. Payee 0 of the canonical order (the lowest
/// address) receives the rounding dust, at most one unit per payee and distribution.
contract SplitterFactory {
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_PAYEES = 16;
    bytes32 private constant SALT = bytes32(0);

    address public immutable implementation;

    event SplitterCreated(address indexed splitter, address[] payees, uint16[] shares);

    constructor() {
        implementation = address(new RevenueSplitter());
    }

    /// Create the splitter for this payee set, or return it if it already exists. The event lists
    /// the payees in canonical order.
    function createSplitter(address[] calldata payees, uint16[] calldata shares) external returns (address splitter) {
        (bytes memory args, address[] memory sortedPayees, uint16[] memory sortedShares) = _canonical(payees, shares);
        splitter = Clones.predictDeterministicAddressWithImmutableArgs(implementation, args, SALT);
        if (splitter.code.length == 0) {
            Clones.cloneDeterministicWithImmutableArgs(implementation, args, SALT);
            emit SplitterCreated(splitter, sortedPayees, sortedShares);
        }
    }

    /// The splitter's address for this payee set (in any order), created or not.
    function predict(address[] calldata payees, uint16[] calldata shares) external view returns (address) {
        (bytes memory args,,) = _canonical(payees, shares);
        return Clones.predictDeterministicAddressWithImmutableArgs(implementation, args, SALT);
    }

    /// Validate (shared `PayeeSet` rules, duplicates refused), sort by address, encode.
    function _canonical(address[] calldata payees, uint16[] calldata shares)
        private
        pure
        returns (bytes memory args, address[] memory sortedPayees, uint16[] memory sortedShares)
    {
        PayeeSet.validate(payees, shares, MAX_PAYEES);
        uint256 count = payees.length;
        sortedPayees = payees;
        sortedShares = shares;
        // Insertion sort: at most 16 entries, already sorted input costs one pass.
        for (uint256 i = 1; i < count; ++i) {
            address payee = sortedPayees[i];
            uint16 share = sortedShares[i];
            uint256 j = i;
            while (j > 0 && sortedPayees[j - 1] > payee) {
                sortedPayees[j] = sortedPayees[j - 1];
                sortedShares[j] = sortedShares[j - 1];
                --j;
            }
            sortedPayees[j] = payee;
            sortedShares[j] = share;
        }
        for (uint256 i; i < count; ++i) {
            args = abi.encodePacked(args, sortedPayees[i], sortedShares[i]);
        }
    }
}
