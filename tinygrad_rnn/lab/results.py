"""Trial results in SQLite: one row per trial, written the moment it finishes.

Three tables: ``trials`` (one row per trial, keyed by the trial's id: its configuration,
hyper-parameters as columns, status, score, final metrics, training curve, time, versions,
host and error), ``sweeps`` (each sweep's name and definition) and ``members`` (which
trials belong to which sweep; a trial shared by two sweeps is trained once).
"""

import csv
import dataclasses
import datetime
import json
import pathlib
import sqlite3

from .sweep import HYPERPARAMETERS, Trial
from .trial import TrialResult

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY,
    cell TEXT NOT NULL,
    task TEXT NOT NULL,
    seed INTEGER NOT NULL,
    sample INTEGER NOT NULL,
    {", ".join(f"{k} {'INTEGER' if kind is int else 'REAL'}" for k, (kind, *_) in HYPERPARAMETERS.items())},
    metric TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    score REAL,
    best_step INTEGER,
    diverged_at INTEGER,
    final TEXT NOT NULL,
    curve TEXT NOT NULL,
    seconds REAL NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    host TEXT NOT NULL,
    worker TEXT NOT NULL,
    versions TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS sweeps (name TEXT PRIMARY KEY, definition TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    sweep TEXT NOT NULL REFERENCES sweeps(name),
    trial TEXT NOT NULL,
    PRIMARY KEY (sweep, trial)
);
"""
_JSON = ("config", "final", "curve", "versions")
# the columns of a trial row, in order, and how each is read off a TrialResult
_COLUMNS = {
    "id": lambda r: r.id,
    "cell": lambda r: r.trial.cell,
    "task": lambda r: r.trial.task,
    "seed": lambda r: r.trial.seed,
    "sample": lambda r: r.trial.sample,
    **{k: (lambda r, k=k: getattr(r.trial, k)) for k in HYPERPARAMETERS},
    "metric": lambda r: r.trial.metric,
    "config": lambda r: r.trial.config(),
    **{f.name: (lambda r, n=f.name: getattr(r, n)) for f in dataclasses.fields(TrialResult) if f.name != "trial"},
}


class ResultsDB:
    """A SQLite file of trial results (created when missing). Each ``write`` commits at once,
    so a sweep that is killed loses at most the trials in flight."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        if self.path.is_dir():
            raise IsADirectoryError(f"ResultsDB: {self.path} is a folder; give the path of a database file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.path)
        try:
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            self.connection.close()
            raise sqlite3.DatabaseError(f"ResultsDB: {self.path} is not a results database: {e}") from None

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing ---------------------------------------------------------------------
    def add_sweep(self, sweep, trials):
        """Record ``sweep`` (its name and definition) and which ``trials`` belong to it."""
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        with self.connection:
            self.connection.execute(
                "INSERT INTO sweeps VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET definition = excluded.definition",
                (sweep.name, json.dumps(sweep.source, sort_keys=True), now),
            )
            self.connection.executemany(
                "INSERT OR IGNORE INTO members VALUES (?, ?)", [(sweep.name, t.id) for t in trials]
            )

    def write(self, result):
        """Store one TrialResult (replacing an earlier row of the same trial) and commit."""
        row = [fn(result) for fn in _COLUMNS.values()]
        row = [json.dumps(v) if name in _JSON else v for name, v in zip(_COLUMNS, row)]
        with self.connection:
            self.connection.execute(
                f"INSERT OR REPLACE INTO trials ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", row
            )

    # -- reading ---------------------------------------------------------------------
    def finished(self, ids=None):
        """The ids of the trials with status "ok" (among ``ids`` when given)."""
        found = {i for (i,) in self.connection.execute("SELECT id FROM trials WHERE status = 'ok'")}
        return found if ids is None else found & set(ids)

    def sweeps(self):
        """The names of the sweeps recorded, oldest first."""
        return [n for (n,) in self.connection.execute("SELECT name FROM sweeps ORDER BY created, rowid")]

    def definition(self, sweep):
        """The definition ``sweep`` was recorded with (a dict, as the TOML file)."""
        row = self.connection.execute("SELECT definition FROM sweeps WHERE name = ?", (sweep,)).fetchone()
        if row is None:
            raise KeyError(f"{self.path}: no sweep {sweep!r}; it has {self.sweeps()}")
        return json.loads(row[0])

    def results(self, sweep=None, status=None, where=None):
        """TrialResult records, of one sweep (its members that have a row) or of all, in the
        order they were written; only those with ``status`` when given, and those for which
        the SQL condition ``where`` on the trials' columns holds (e.g. "clip = 0 AND lr > 0.05")."""
        query, args = f"SELECT {', '.join(_COLUMNS)} FROM trials", []
        clauses = []
        if sweep is not None:
            if sweep not in self.sweeps():
                raise KeyError(f"{self.path}: no sweep {sweep!r}; it has {self.sweeps()}")
            clauses.append("id IN (SELECT trial FROM members WHERE sweep = ?)")
            args.append(sweep)
        if status is not None:
            clauses.append("status = ?")
            args.append(status)
        if where:
            clauses.append(f"({where})")
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        try:
            found = self.connection.execute(query + " ORDER BY rowid", args).fetchall()
        except sqlite3.OperationalError as e:
            raise ValueError(f"ResultsDB: the condition {where!r} is not valid SQL on the trials table: {e}") from None
        return [_result(row) for row in found]

    def export_csv(self, path, sweep=None, where=None):
        """The trial rows (of ``sweep``, those where ``where`` holds) as CSV, the curve and the
        configuration left out; returns the path."""
        path = pathlib.Path(path)
        names = [n for n in _COLUMNS if n not in ("curve", "config")]
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(names)
            for result in self.results(sweep, where=where):
                values = dict(zip(_COLUMNS, (fn(result) for fn in _COLUMNS.values())))
                writer.writerow([json.dumps(values[n]) if n in _JSON else values[n] for n in names])
        return path


def _result(row):
    values = dict(zip(_COLUMNS, row))
    for name in _JSON:
        values[name] = json.loads(values[name])
    trial = Trial.from_config(values["config"], sample=values["sample"])
    return TrialResult(trial, **{f.name: values[f.name] for f in dataclasses.fields(TrialResult) if f.name != "trial"})
