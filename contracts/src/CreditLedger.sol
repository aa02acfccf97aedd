// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Payouts} from "./Payouts.sol";

/// @title Push-or-credit payouts and withdrawals, shared by the escrow and the revenue splitter.
/// @notice A payout is pushed with a bounded gas budget (`Payouts`); when the payee cannot
/// receive (reverts, burns gas, is blocked by the token) the amount is credited instead and the
/// payee withdraws it later, to itself or to another address. One bad payee never blocks others.
abstract contract CreditLedger is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    mapping(address account => mapping(address token => uint256)) private _credits;

    /// @notice A credit was withdrawn.
    /// @param account Whose credit.
    /// @param token The token (address(0) for ETH).
    /// @param to Where it was paid.
    /// @param amount The amount.
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    /// Nothing is credited to the caller in this token.
    error NothingToWithdraw();
    /// The zero address is not allowed here.
    error ZeroAddress();

    /// @notice Collect the caller's credit in `token` (address(0) for ETH).
    /// @param token The token.
    function withdraw(address token) external nonReentrant {
        _withdraw(msg.sender, token, msg.sender);
    }

    /// @notice Collect the caller's credit in `token`, paid to `to` (for an account that cannot
    /// receive itself).
    /// @param token The token.
    /// @param to Where to pay it.
    function withdrawTo(address token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(msg.sender, token, to);
    }

    /// @notice What `account` may withdraw in `token`.
    /// @param account The account.
    /// @param token The token (address(0) for ETH).
    /// @return The credited amount.
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// Push `amount` of `token` to `to`, or credit it when the push fails.
    /// @return pushed Whether `to` received it now.
    function _pushOrCredit(address to, address token, uint256 amount) internal returns (bool pushed) {
        pushed = token == address(0) ? Payouts.tryPushEth(to, amount) : Payouts.tryPushToken(token, to, amount);
        if (!pushed) {
            _credits[to][token] += amount;
            _afterCredit(token, amount);
        }
    }

    function _withdraw(address account, address token, address to) internal {
        uint256 amount = _credits[account][token];
        if (amount == 0) revert NothingToWithdraw();
        _credits[account][token] = 0;
        _afterWithdraw(token, amount);
        emit Withdrawn(account, token, to, amount);
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// Hooks for a ledger that keeps totals (the splitter excludes credits from what it splits).
    function _afterCredit(address token, uint256 amount) internal virtual {}

    function _afterWithdraw(address token, uint256 amount) internal virtual {}
}
