"""The Ray engine: a pool of stateful actors, each holding the validated pipeline, one task each.

Results stream back as they finish (`ray.wait`); an actor that dies (killed, out of memory, its node
lost) is restarted by Ray and its task is given again, up to `retries` times, then it is a failed
row. Ray is imported only here, and only when `--engine ray` is asked for.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from jejunet.batch.engine import OnFrames, OnResult
from jejunet.batch.graphrun import PipelineInfo
from jejunet.batch.task import Result, Task, VideoRunner
from jejunet.errors import UserError

#: test and tooling hook: called with (actor pid, task) right after a task is handed to an actor
OnDispatch = Callable[[int, Task], None]
POLL_S = 0.5
START_TIMEOUT_S = 600.0  # the actors have started (imported the runtime, loaded the pipeline) by then


class RayWorker:
    """The actor: loads the pipeline once, runs one task at a time, tells its progress meanwhile."""

    def __init__(self, info: PipelineInfo) -> None:
        self.runner = VideoRunner(info)
        self.frames = 0

    def pid(self) -> int:
        return os.getpid()

    def run(self, task: Task) -> Result:
        self.frames = 0
        return self.runner.run(task, progress=self._progress)

    def _progress(self, frames: int) -> None:
        self.frames = frames

    def progress(self) -> int:
        return self.frames


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError("--engine ray needs Ray: pip install 'jejunet[ray]'") from None
    return ray


class RayEngine:
    """`workers` actors (default: one per CPU of the cluster) on a local instance or `address`."""

    def __init__(
        self,
        info: PipelineInfo,
        address: str | None = None,
        workers: int | None = None,
        retries: int = 2,
        on_dispatch: OnDispatch | None = None,
    ) -> None:
        self.ray = ray = _ray()
        self.started = not ray.is_initialized()
        if self.started:
            try:
                ray.init(
                    address=address,
                    num_cpus=None if address else os.cpu_count(),
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = (
                    f"--address {address}: cannot connect to the Ray cluster"
                    if address
                    else ("--engine ray: cannot start a local Ray instance")
                )
                raise UserError(f"{where} ({' '.join(str(exc).split())[:300]})") from None
        self.info, self.retries, self.on_dispatch = info, retries, on_dispatch
        self.actors: list[Any] = []
        try:
            self._start_actors(workers)
        except ray.exceptions.RayError as exc:
            self.close()
            reason = " ".join(str(exc).split())[:300]
            raise UserError(f"--engine ray: the workers could not start ({reason})") from None
        except BaseException:  # interrupted while they start: the actors and the instance go too
            self.close()
            raise

    def _start_actors(self, workers: int | None) -> None:
        cpus = max(1.0, float(self.ray.cluster_resources().get("CPU", 1)))
        self.workers = workers or int(cpus)
        # one CPU an actor; more workers than CPUs share them (else the extra ones would never start)
        self.actor_class = self.ray.remote(
            num_cpus=min(1.0, cpus / self.workers), max_restarts=-1, max_task_retries=0, max_concurrency=2
        )(RayWorker)
        self.actors = [self.actor_class.remote(self.info) for _ in range(self.workers)]
        self.pids = self.ray.get([a.pid.remote() for a in self.actors], timeout=START_TIMEOUT_S)

    def _submit(self, index: int, task: Task) -> Any:
        ref = self.actors[index].run.remote(task)
        if self.on_dispatch is not None:
            self.on_dispatch(self.pids[index], task)
        return ref

    def _poll(self, inflight: dict[Any, tuple[int, Task]], on_frames: Callable[[Task, int], None]) -> None:
        """Ask the busy actors how far their video is (a dead one is skipped)."""
        asks = {self.actors[i].progress.remote(): task for i, task in inflight.values()}
        ready, _ = self.ray.wait(list(asks), num_returns=len(asks), timeout=POLL_S)
        for ref in ready:
            try:
                on_frames(asks[ref], self.ray.get(ref))
            except self.ray.exceptions.RayError:
                continue

    def _collect(self, ref: Any, task: Task, attempts: dict[tuple, int]) -> Result | None:
        """The task's result, or None when its actor died and the task is to be given again."""
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.RayActorError as exc:
            attempts[task.key] = attempts.get(task.key, 1) + 1
            if attempts[task.key] <= self.retries + 1:
                return None
            reason = " ".join(str(exc).split())[:200]
            return Result(task, "failed", error=f"worker died {self.retries + 1} times ({reason})")
        result.attempts = attempts.get(task.key, 1)
        return result

    def _revive(self, index: int) -> Any:
        """Ping an actor that died (Ray restarts it; a permanently dead one is replaced)."""
        try:
            return self.actors[index].pid.remote()
        except self.ray.exceptions.RayActorError:
            self.actors[index] = self.actor_class.remote(self.info)
            return self.actors[index].pid.remote()

    def _revived(self, ref: Any, index: int, reviving: dict[Any, int], idle: deque[int]) -> None:
        try:
            self.pids[index] = self.ray.get(ref)
            idle.append(index)
        except self.ray.exceptions.ActorUnavailableError:  # still restarting: ask again shortly
            time.sleep(0.1)
            reviving[self._revive(index)] = index
        except self.ray.exceptions.RayActorError:  # restarts exhausted: a fresh actor
            self.actors[index] = self.actor_class.remote(self.info)
            reviving[self.actors[index].pid.remote()] = index

    def run(self, tasks: Iterable[Task], on_result: OnResult, on_frames: OnFrames) -> None:
        pending = deque(tasks)
        idle = deque(range(self.workers))
        inflight: dict[Any, tuple[int, Task]] = {}
        reviving: dict[Any, int] = {}  # ping → actor index, for actors restarting after a death
        attempts: dict[tuple, int] = {}
        while pending or inflight:
            while idle and pending:
                index, task = idle.popleft(), pending.popleft()
                inflight[self._submit(index, task)] = (index, task)
            ready, _ = self.ray.wait([*inflight, *reviving], num_returns=1, timeout=POLL_S)
            if not ready and inflight and on_frames is not None:
                self._poll(inflight, on_frames)
            for ref in ready:
                if ref in reviving:
                    self._revived(ref, reviving.pop(ref), reviving, idle)
                    continue
                index, task = inflight.pop(ref)
                result = self._collect(ref, task, attempts)
                if result is None:
                    pending.appendleft(task)
                    reviving[self._revive(index)] = index
                else:
                    idle.append(index)
                    on_result(result)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()
