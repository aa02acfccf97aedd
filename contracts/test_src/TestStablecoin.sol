// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// Test-only stablecoin (6 decimals) with an open faucet: anyone may mint. Deployed on local chains
/// so ERC-20 deals are exercised end to end; never deploy it anywhere money is real.
contract TestStablecoin is ERC20 {
    constructor() ERC20("Collab Test USD", "tUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
