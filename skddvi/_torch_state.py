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

__all__ = ["cpu_threads", "seeded_global_rng"]

_RNG_LOCK = threading.RLock()
_THREADS_LOCK = threading.Lock()
_threads_users = 0  # cpu_threads bodies running now, in any thread
_threads_saved = 0  # the thread count before the first of them began
_local = threading.local()  # this thread's cpu_threads nesting depth


@contextmanager
def seeded_global_rng(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Run the body with torch's global CPU generator, and that of ``device``
    if it is a CUDA device, seeded from ``seed``; then restore their states.

    Held under a lock: ``nn.Module`` constructors and a CUDA graph's replays
    draw from the global generators only, so two threads' bodies would draw
    each other's numbers. Other devices' generators are left alone
    (``torch.manual_seed`` would reseed every CUDA device's).
    """
    cuda = [device] if device is not None and device.type == "cuda" else []
    with _RNG_LOCK, torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
        yield


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
    with _THREADS_LOCK:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
        _threads_users += 1
        previous = torch.get_num_threads() if depth else _threads_saved
    _local.depth = depth + 1
    try:
        torch.set_num_threads(effective_n_jobs(n_jobs))
        yield
    finally:
        _local.depth = depth
        with _THREADS_LOCK:
            _threads_users -= 1
        torch.set_num_threads(previous)
