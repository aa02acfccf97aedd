"""The project's anvil launcher."""

from __future__ import annotations

import pytest

from contracts.localchain import Anvil, AnvilError


def test_a_taken_port_is_an_error_not_someone_elses_node(anvil) -> None:
    with pytest.raises(AnvilError, match="in use"):
        Anvil(port=anvil.port).start()


def test_stop_leaves_no_process() -> None:
    node = Anvil().start()
    process = node.process
    node.stop()
    assert process.poll() is not None
