"""Which launcher a step's tasks go to, and what a Dask launcher asks of the cluster."""

from __future__ import annotations

import pytest

from braidflow.decorators.policy import parse_decospec, policy_from
from braidflow.exceptions import CommandError, ConfigError
from braidflow.runtime.dask_launcher import connect, dask_resources
from braidflow.runtime.launchers import LAUNCHERS


def test_dask_sends_a_step_to_the_dask_launcher_and_nothing_else_does() -> None:
    assert policy_from([parse_decospec("dask")]).launcher == "dask"
    assert policy_from([parse_decospec("retry")]).launcher == "local"
    assert {"local", "dask"} <= set(LAUNCHERS)


def test_dask_takes_no_attributes() -> None:
    with pytest.raises(CommandError, match="@dask takes no attribute 'workers'"):
        parse_decospec("dask:workers=3")


def test_resources_become_dask_resources_leaving_out_unset_ones() -> None:
    assert dask_resources({"cpu": 2, "memory": 4096, "gpu": None, "disk": 100}) == {
        "cpu": 2.0,
        "memory": 4096.0,
    }
    assert dask_resources({"cpu": 0.5, "memory": 0, "gpu": 1, "disk": None}) == {"cpu": 0.5, "gpu": 1.0}
    assert dask_resources(None) == {}


def test_no_scheduler_set_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match="set BRAIDFLOW_DASK_SCHEDULER"):
        connect(None)
