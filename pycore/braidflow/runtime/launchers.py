"""Which launcher starts each task: a registry of launchers by name, and one that routes by step.

A step's policy names its launcher (`"local"` by default, `"dask"` with `@dask` or `--with dask`).
A run opens the launchers its steps name, before it is recorded, so a cluster that cannot be
reached stops the command with nothing recorded; `RoutedLauncher` then sends each task to its
step's launcher and waits on all of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from braidflow.runtime.binding import FlowBinding, TaskOptions
from braidflow.runtime.capture import Echo
from braidflow.runtime.inputs import TaskInputs
from braidflow.runtime.launcher import ForkLauncher, TaskExit, TaskLauncher

OpenLauncher = Callable[[FlowBinding, TaskOptions, "Echo | None"], TaskLauncher]
_SHARED_WAIT_S = 0.05  # with tasks on several launchers, how long each is waited on in turn


def _open_dask(binding: FlowBinding, options: TaskOptions, echo: Echo | None) -> TaskLauncher:
    """A DaskLauncher connected to BRAIDFLOW_DASK_SCHEDULER (distributed is imported only here)."""
    from braidflow.runtime.dask_launcher import DaskLauncher, connect

    return DaskLauncher(binding, options, connect(binding.settings.dask_scheduler), echo)


# In opening order: the fork server starts before any client threads exist in this process.
LAUNCHERS: dict[str, OpenLauncher] = {
    "local": ForkLauncher,
    "dask": _open_dask,
}


@contextlib.contextmanager
def open_launchers(binding: FlowBinding, options: TaskOptions, echo: Echo | None) -> Iterator[TaskLauncher]:
    """The launcher for the run's tasks, closed at the end.

    Raises:
        ClusterError: a cluster the steps are sent to cannot be reached.
        ConfigError: a step names a launcher that is not configured.
    """
    wanted = {binding.policy(step).launcher for step in binding.graph.nodes}
    opened: dict[str, TaskLauncher] = {}
    try:
        for name, open_ in LAUNCHERS.items():
            if name in wanted:
                opened[name] = open_(binding, options, echo)
    except BaseException:
        for launcher in opened.values():
            launcher.close()
        raise
    routed = RoutedLauncher(binding, opened) if len(opened) > 1 else next(iter(opened.values()))
    try:
        yield routed
    finally:
        routed.close()  # the fork server goes, and the live logs of recorded tasks


class RoutedLauncher:
    """Sends each task to the launcher its step's policy names; waits on all of them."""

    def __init__(self, binding: FlowBinding, launchers: dict[str, TaskLauncher]) -> None:
        self._binding, self._launchers = binding, launchers

    def launch(self, inputs: TaskInputs, attempt: int) -> None:
        self._launchers[self._binding.policy(inputs.task.step).launcher].launch(inputs, attempt)

    def running(self) -> int:
        return sum(launcher.running() for launcher in self._launchers.values())

    def wait(self, timeout: float | None) -> list[TaskExit]:
        busy = [launcher for launcher in self._launchers.values() if launcher.running()]
        if len(busy) <= 1:
            return (busy or list(self._launchers.values()))[0].wait(timeout)
        share = _SHARED_WAIT_S if timeout is None else min(timeout, _SHARED_WAIT_S)
        return [ended for launcher in busy for ended in launcher.wait(share)]

    def terminate(self) -> list[TaskExit]:
        return [ended for launcher in self._launchers.values() for ended in launcher.terminate()]

    def close(self) -> None:
        for launcher in self._launchers.values():
            launcher.close()
