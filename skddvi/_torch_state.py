"""torch's process-wide state that a fit or an inference changes for a while:
the CPU thread count and the global random generators.

Both are shared by every thread of the process, so a save, change and
restore must not interleave with another thread's: fits run in threads (a
``GridSearchCV`` with joblib's threading backend, a web server's workers)
would otherwise start from other weights or leave the caller's setting
changed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["cpu_threads", "float32_default", "seeded_global_rng"]

_RNG_LOCKS: dict[str, threading.RLock] = {}  # one per generator: "cpu", "cuda:0", ...
_RNG_LOCKS_LOCK = threading.Lock()
_THREADS_LOCK = threading.Lock()
_threads_users = 0  # cpu_threads bodies running now, in any thread
_threads_saved = 0  # the thread count before the first of them began
_local = threading.local()  # this thread's cpu_threads nesting depth


def _rng_lock(device: torch.device) -> threading.RLock:
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    key = str(device)
    with _RNG_LOCKS_LOCK:
        return _RNG_LOCKS.setdefault(key, threading.RLock())


@contextmanager
def seeded_global_rng(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Run the body with one of torch's global generators seeded from ``seed``
    (the CPU's, or the CUDA ``device``'s), then restore its state.

    Held under a lock per generator: ``nn.Module`` constructors (on the CPU)
    and a CUDA graph's replays (on its device) draw from the global
    generators only, so two threads' bodies would draw each other's numbers.
    The other generators are left alone (``torch.manual_seed`` would reseed
    every device's), so a CUDA fit holding its device's generator does not
    hold up a model being built on the CPU.
    """
    device = torch.device("cpu") if device is None else torch.device(device)
    with _rng_lock(device):
        if device.type == "cuda":
            with torch.cuda.device(device):
                state = torch.cuda.get_rng_state()
                torch.cuda.manual_seed(seed)
                try:
                    yield
                finally:
                    torch.cuda.set_rng_state(state)
        else:
            state = torch.get_rng_state()
            torch.random.default_generator.manual_seed(seed)
            try:
                yield
            finally:
                torch.set_rng_state(state)


@contextmanager
def cpu_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the body with torch's CPU thread count set from ``n_jobs`` (joblib's
    convention: -1 all cores, -2 all but one), then restore it; None leaves it.

    The count is restored to what it was before any such body was running in
    any thread (or, for a nested body, to the enclosing body's count): a
    thread that saved another thread's temporary count would otherwise
    restore that, and leave it for threads started later.
    """
    if n_jobs is None:
        yield
        return
    from joblib import effective_n_jobs

    global _threads_users, _threads_saved
    depth = getattr(_local, "depth", 0)
    with _THREADS_LOCK:  # the count is read, changed and restored under it
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
        _threads_users += 1
        previous = torch.get_num_threads() if depth else _threads_saved
        torch.set_num_threads(effective_n_jobs(n_jobs))
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth
        with _THREADS_LOCK:
            torch.set_num_threads(previous)
            _threads_users -= 1


@contextmanager
def float32_default() -> Iterator[None]:
    """Run the body with torch's default dtype float32, as the model trains:
    the initial weights are drawn in the default dtype, so under a float64
    default a seed would give other weights. Changed (process-wide) only
    when it is not float32 already, for the moment a model is built."""
    previous = torch.get_default_dtype()
    if previous == torch.float32:
        yield
        return
    torch.set_default_dtype(torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)
