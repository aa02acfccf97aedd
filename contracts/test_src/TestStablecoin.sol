// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// Test-only stablecoin (6 decimals, EIP-2612 permit) with an open faucet: anyone may mint.
/// Deployed on local chains so ERC-20 deals, permit funding included, are exercised end to end;
/// never deploy it anywhere money is real.
contract TestStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Collab Test USD", "tUSD") ERC20Permit("Collab Test USD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
