// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Payouts} from "./Payouts.sol";

/// @title Revenue splitter: the implementation behind every EIP-1167 clone made by SplitterFactory.
/// @notice Anyone sends ETH or ERC-20 to a clone and calls `distribute(token)`, which pushes every
/// payee its share (payee 0 also gets the rounding dust); a payee that cannot receive is credited
/// and withdraws later. Payees and shares are immutable args appended to the clone's code (22 bytes
/// per payee: address, uint16 share), so a distribution reads no storage for them.
contract RevenueSplitter is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;
    uint256 private constant ENTRY_SIZE = 22;

    /// This implementation's own address: it holds no args and must never be used directly.
    address private immutable _implementation = address(this);

    mapping(address account => mapping(address token => uint256)) private _credits;
    /// Credited but not yet withdrawn, per token: excluded from what `distribute` splits.
    mapping(address token => uint256) public totalCredited;

    event PayoutPaid(address indexed payee, address indexed token, uint256 amount);
    event PayoutCredited(address indexed payee, address indexed token, uint256 amount);
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    error NotAClone();
    error NothingToDistribute();
    error NothingToWithdraw();
    error ZeroAddress();

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

    function withdraw(address token) external nonReentrant {
        _withdraw(token, msg.sender);
    }

    function withdrawTo(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(token, to);
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

    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
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
        bool pushed = token == address(0)
            ? Payouts.tryPushEth(payee, amount)
            : Payouts.tryPushToken(token, payee, amount);
        if (pushed) {
            emit PayoutPaid(payee, token, amount);
        } else {
            _credits[payee][token] += amount;
            totalCredited[token] += amount;
            emit PayoutCredited(payee, token, amount);
        }
    }

    function _withdraw(address token, address to) private {
        uint256 amount = _credits[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw();
        _credits[msg.sender][token] = 0;
        totalCredited[token] -= amount;
        emit Withdrawn(msg.sender, token, to, amount);
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
