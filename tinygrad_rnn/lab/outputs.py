"""Where the lab's commands write, and what they show while they run: a default folder
outside any source tree, a staging folder that becomes the output only when a run has
finished (a failed run leaves nothing behind), and progress bars that stay quiet off a
terminal."""

import contextlib
import os
import pathlib
import shutil
import sys
import tempfile


def data_home():
    """$XDG_DATA_HOME/tinygrad-rnn (by default ~/.local/share/tinygrad-rnn): the default home of
    reports, experiment results and sweep databases, outside any source tree."""
    base = pathlib.Path(os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share")
    return base / "tinygrad-rnn"


@contextlib.contextmanager
def staged(folder):
    """A fresh folder beside ``folder`` to write a run's files into; when the block finishes,
    each file moves into ``folder`` (made if missing, existing files of the same name
    replaced), and when it fails, the staging folder and everything in it are removed."""
    folder = pathlib.Path(folder).absolute()
    made = [p for p in (folder.parent, *folder.parent.parents) if not p.exists()]
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = pathlib.Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield stage
        folder.mkdir(exist_ok=True)
        for item in sorted(stage.rglob("*")):
            if item.is_file():
                target = folder / item.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for parent in made:  # innermost first: folders made for this run alone go with it
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    shutil.rmtree(stage, ignore_errors=True)


def progress_bar(total, desc, unit):
    """A tqdm bar on a terminal; elsewhere (a log file, CI) quiet but alive: a plain line
    every 30 to 60 seconds instead of a redraw after every step."""
    from tqdm.auto import tqdm

    if sys.stderr.isatty():
        return tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=False)
    return tqdm(total=total, desc=desc, unit=unit, mininterval=30, maxinterval=60, ascii=True, ncols=100)
