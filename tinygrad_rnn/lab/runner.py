"""Running a sweep on Dask: a local cluster of one-thread worker processes, or any cluster
whose scheduler address is given. Each finished trial goes to the results database at once;
trials with a result there are skipped, so running a sweep again resumes it."""

import contextlib
import logging
import os
import signal
import threading
import time

from distributed import Client, LocalCluster, as_completed, get_worker
from distributed.client import FutureCancelledError

from .outputs import progress_bar
from .results import ResultsDB
from .trial import TrialResult, run_trial, versions


def run(sweep, db, scheduler=None, workers=None, progress=True, say=print):
    """Run the trials of ``sweep`` that have no "ok" result in the database ``db`` (a path);
    returns the TrialResults of the sweep found in it afterwards.

    - ``scheduler``: the address of a running Dask scheduler (``tcp://host:8786``); None
      starts a LocalCluster of ``workers`` processes (default: one per core), one thread
      each, for the length of the run.
    - ``progress``: a bar of trials done, running and failed, with the time left.
    Failed trials (an exception in training, a lost worker) are stored with their error and
    tried again the next time the sweep runs; the others go on.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"run: workers must be an integer >= 1, got {workers!r}")
    if workers is not None and scheduler is not None:
        raise ValueError("run: give workers (for a local cluster) or scheduler (an existing one), not both")
    trials = sweep.trials()
    with ResultsDB(db) as store:
        store.add_sweep(sweep, trials)
        done = store.finished(t.id for t in trials)
        todo = [t for t in trials if t.id not in done]
        say(f"{sweep.name}: {len(trials)} trials, {len(done)} done before, {len(todo)} to run; results in {db}")
        if todo:
            with _client(scheduler, workers) as client:
                threads = client.nthreads()
                say(f"Dask: {len(threads)} workers, {sum(threads.values())} threads, at {client.scheduler.address}")
                if "dashboard" in client.scheduler_info().get("services", {}):
                    say(f"Dask dashboard: {client.dashboard_link}")
                if any(n > 1 for n in threads.values()):
                    say(
                        "note: workers with several threads run trials side by side in one process; "
                        "start them with --nthreads 1 for one trial per process (and per BLAS)"
                    )
                failed = _execute(client, todo, store, progress, sweep.name)
            say(f"{sweep.name}: {len(todo) - failed} trials finished, {failed} failed")
        return store.results(sweep.name)


@contextlib.contextmanager
def _client(scheduler, workers):
    if scheduler is not None:
        with Client(scheduler, timeout="20s") as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: several sweeps may run side by side
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client


def _on_worker(trial):
    return run_trial(trial, worker=str(get_worker().address))


def _execute(client, todo, store, progress, name):
    """Submit ``todo``, store each result as it arrives, and return how many failed."""
    futures = client.map(_on_worker, todo, key=[f"trial-{t.id}" for t in todo], pure=False)
    trial_of = dict(zip((f.key for f in futures), todo))
    pending = {f.key: f for f in futures}  # a stored result is let go, here and on its worker
    finished = as_completed(futures)
    del futures
    bar = _Bar(len(todo), name, progress)
    failed = 0
    try:
        with _deferred_interrupt() as interrupted:
            while pending:
                if interrupted:  # Ctrl-C, taken here: between Dask's calls, never inside one
                    raise KeyboardInterrupt
                ready = finished.next_batch(block=False)
                if not ready:
                    time.sleep(0.25)
                for future in ready:
                    del pending[future.key]
                    result = _result(future, trial_of.pop(future.key))
                    store.write(result)
                    failed += not result.ok
                    bar.update(result.ok)
                bar.show(_running(client, len(pending)))
    finally:
        bar.close()
        if pending:
            client.cancel(list(pending.values()))
    return failed


@contextlib.contextmanager
def _deferred_interrupt():
    """A list that Ctrl-C appends to, instead of raising wherever the main thread is (inside a
    Dask call, an interrupt can leave Dask's event loop logging errors). Off the main
    thread, where signals cannot be caught, Ctrl-C works as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _result(future, trial):
    """The TrialResult a future holds, or a failed one saying why it holds none."""
    try:
        return future.result()
    except FutureCancelledError:
        raise
    except Exception as e:  # the worker died, or the result could not come back
        return TrialResult(trial, "failed", versions=versions(), error=f"{type(e).__name__}: {e}")


def _running(client, pending):
    """How many trials are being trained now: the tasks the workers hold, at most one per
    thread each."""
    try:
        threads = client.nthreads()
        processing = client.processing()
    except Exception:
        return None
    return min(pending, sum(min(len(keys), threads.get(w, 1)) for w, keys in processing.items()))


class _Bar:
    """A tqdm bar of trials done out of the total, with those running and failed, and the
    time left; silent when ``enabled`` is False."""

    def __init__(self, total, name, enabled):
        self.failed = 0
        self.bar = None
        if enabled:
            self.bar = progress_bar(total, name, "trial")

    def update(self, ok):
        self.failed += not ok
        if self.bar is not None:
            self.bar.update(1)

    def show(self, running):
        text = f"running {'?' if running is None else running}, failed {self.failed}"
        if self.bar is not None and text != self.bar.postfix:  # redraw only on a change
            self.bar.set_postfix_str(text)

    def close(self):
        if self.bar is not None:
            self.bar.close()
