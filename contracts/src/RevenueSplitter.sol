// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {CreditLedger} from "./CreditLedger.sol";

/// @title Revenue splitter: the implementation behind every EIP-1167 clone made by SplitterFactory.
/// @notice Anyone sends ETH or ERC-20 to a clone and calls `distribute(token)`, which pushes every
/// payee its share (payee 0 also gets the rounding dust); a payee that cannot receive is credited
/// and withdraws later (`CreditLedger`, shared with the escrow). Payees and shares are immutable
/// args appended to the clone's code (22 bytes per payee: address, uint16 share), in the factory's
/// canonical order (ascending address), so a distribution reads no storage for them.
contract RevenueSplitter is CreditLedger {

    uint256 private constant BPS = 10_000;
    uint256 private constant ENTRY_SIZE = 22;

    /// This implementation's own address: it holds no args and must never be used directly.
    address private immutable _implementation = address(this);

    /// Credited but not yet withdrawn, per token: excluded from what `distribute` splits.
    mapping(address token => uint256) public totalCredited;

    event PayoutPaid(address indexed payee, address indexed token, uint256 amount);
    event PayoutCredited(address indexed payee, address indexed token, uint256 amount);

    error NotAClone();
    error NothingToDistribute();

    receive() external payable {}

    /// Split everything this splitter holds in `token` (address(0) = ETH), minus open credits.
    /// Each payee's part is logged (PayoutPaid or PayoutCredited); their sum is the return value.
    function distribute(address token) external nonReentrant returns (uint256 amount) {
        if (address(this) == _implementation) revert NotAClone();
        uint256 balance = token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
        amount = balance - totalCredited[token];
        if (amount == 0) revert NothingToDistribute();

        bytes memory args = Clones.fetchCloneArgs(address(this));
        uint256 payeeCount = args.length / ENTRY_SIZE;
        uint256 paidToOthers;
        for (uint256 i = 1; i < payeeCount; ++i) {
            (address payee, uint256 shareBps) = _entry(args, i);
            uint256 payout = (amount * shareBps) / BPS;
            paidToOthers += payout;
            _pay(payee, token, payout);
        }
        (address firstPayee,) = _entry(args, 0);
        _pay(firstPayee, token, amount - paidToOthers);
    }

    function payees() external view returns (address[] memory accounts, uint16[] memory sharesBps) {
        if (address(this) == _implementation) revert NotAClone();
        bytes memory args = Clones.fetchCloneArgs(address(this));
        uint256 payeeCount = args.length / ENTRY_SIZE;
        accounts = new address[](payeeCount);
        sharesBps = new uint16[](payeeCount);
        for (uint256 i; i < payeeCount; ++i) {
            (address payee, uint256 shareBps) = _entry(args, i);
            accounts[i] = payee;
            sharesBps[i] = uint16(shareBps);
        }
    }

    function _entry(bytes memory args, uint256 index) private pure returns (address payee, uint256 shareBps) {
        assembly ("memory-safe") {
            let word := mload(add(add(args, 0x20), mul(index, ENTRY_SIZE)))
            payee := shr(96, word)
            shareBps := and(shr(80, word), 0xffff)
        }
    }

    function _pay(address payee, address token, uint256 amount) private {
        if (amount == 0) return;
        if (_pushOrCredit(payee, token, amount)) {
            emit PayoutPaid(payee, token, amount);
        } else {
            emit PayoutCredited(payee, token, amount);
        }
    }

    function _afterCredit(address token, uint256 amount) internal override {
        totalCredited[token] += amount;
    }

    function _afterWithdraw(address token, uint256 amount) internal override {
        totalCredited[token] -= amount;
    }
}
