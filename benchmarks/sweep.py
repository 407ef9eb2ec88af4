"""A sweep on each engine, and what a big one would cost.

    python benchmarks/sweep.py                      # the engines, then the per-sequence costs
    python benchmarks/sweep.py --skip-costs
    python benchmarks/sweep.py --lags 10,100,1000 --group 10

1. The same small `lstmlab compare` sweep, and a `lstmlab run --seeds N --out` sweep, each run
   as a user runs it (a process of its own), with the local engine and with `--engine ray` (a
   local Ray instance started and shut down by the command), after one untimed run that fills
   a fresh compile cache: wall seconds, jobs per second, Ray's overhead as a ratio, and whether
   the two engines' job results agree bit for bit.
2. The training cost of one adding-problem job (`--group` seeds side by side, the LSTM) per
   training sequence at a few lags, compilation apart; from it, what a 100-seed, five-cell,
   lags-10-to-1000 adding sweep costs in machine-seconds if every job runs its whole budget
   (the most it can cost: a job stops early only when all its seeds solve), and on N machines.

Times with time.perf_counter; prints tables; asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEPS = [
    ["compare", "long-lag", "--cells", "lstm,rnn", "--lags", "5,10", "--seeds", "8", "--group", "2"]
    + ["--budget", "2000"],
    ["run", "timesteps", "--seeds", "16", "--group", "2", "--epochs", "200"],
]
WHERE = ("cores", "host", "pid", "node", "seconds", "compile_seconds", "train_seconds")  # differ by engine
BIG_CELLS = 5  # lstm, lstm:5, lstm-1997, gru, rnn
BIG_SEEDS = 100
BIG_LAGS = (10, 20, 50, 100, 200, 500, 1000)


def lstmlab(*args: str, env: dict) -> float:
    """Run the command; its wall seconds."""
    code = "import sys; from lstmlab.cli.app import app; sys.argv[0] = 'lstmlab'; app()"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def outcomes(folder: Path) -> dict:
    """Each job's results, less where and how long it ran."""
    files = (folder / "jobs").iterdir()
    return {p.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in WHERE} for p in files}


def engines(table, sweep: list[str]) -> None:
    with tempfile.TemporaryDirectory() as work:
        env = os.environ | {"LSTMLAB_CACHE_DIR": str(Path(work) / "cache")}
        lstmlab(*sweep, "--out", str(Path(work) / "warm"), env=env)
        jobs = len(json.loads((Path(work) / "warm" / "sweep.json").read_text())["jobs"])
        seconds = {}
        for engine in ("local", "ray"):
            seconds[engine] = lstmlab(*sweep, "--engine", engine, "--out", str(Path(work) / engine), env=env)
        same = outcomes(Path(work) / "local") == outcomes(Path(work) / "ray")
        done = [json.loads(p.read_text()) for p in (Path(work) / "ray" / "jobs").iterdir()]
        job_seconds = sorted(d.get("seconds", d.get("compile_seconds", 0) + d.get("train_seconds", 0)) for d in done)
    table.caption = f"median job (compile + train, in its worker): {job_seconds[len(job_seconds) // 2]:.2f} s"
    table.title = f"lstmlab {' '.join(sweep)}: {jobs} jobs; the same results on both engines: {same}"
    for engine, wall in seconds.items():
        table.add_row(engine, f"{wall:.1f}", f"{jobs / wall:.2f}", f"{wall / seconds['local']:.2f}")


def costs(lags: list[int], group: int, budget: int) -> list[tuple[int, float, float]]:
    """(lag, compile seconds, train seconds per sequence) for one adding job at each lag."""
    from lstmlab.engine import runtime

    runtime.use_cpu_cores()
    from lstmlab.engine.until_solved import train_until_solved
    from lstmlab.settings.config import load_task_config

    measured = []
    for lag in lags:
        config = load_task_config("adding", lag=lag, budget=budget, check_every=budget // 2)
        training = train_until_solved(config, range(1, group + 1))
        measured.append((lag, training.compile_seconds, training.train_seconds / int(training.sequences.max())))
    return measured


def estimate(measured: list[tuple[int, float, float]], group: int, budget: int) -> tuple[float, int]:
    """Machine-seconds of the big sweep at `budget` sequences per job, every job to its end:
    per-sequence cost interpolated linearly in the lag between the measured lags."""
    lags, per_sequence = [m[0] for m in measured], [m[2] for m in measured]
    compile_seconds = max(m[1] for m in measured)

    def cost(lag: int) -> float:
        for k in range(len(lags) - 1):
            if lags[k] <= lag <= lags[k + 1]:
                a, b, ca, cb = lags[k], lags[k + 1], per_sequence[k], per_sequence[k + 1]
                return ca + (cb - ca) * (lag - a) / (b - a)
        return per_sequence[0] if lag < lags[0] else per_sequence[-1] * lag / lags[-1]

    jobs_per_lag = BIG_CELLS * -(-BIG_SEEDS // group)
    total = sum(jobs_per_lag * (budget * cost(lag) + compile_seconds) for lag in BIG_LAGS)
    return total, jobs_per_lag * len(BIG_LAGS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-engines", action="store_true")
    parser.add_argument("--skip-costs", action="store_true")
    parser.add_argument("--lags", default="10,100,1000", help="lags at which to measure a job's cost")
    parser.add_argument("--group", type=int, default=10, help="seeds per job")
    parser.add_argument("--budget", type=int, default=400, help="training sequences per measurement")
    parser.add_argument("--big-budget", type=int, default=100_000, help="sequences per job in the big sweep")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not args.skip_engines:
        for sweep in SWEEPS:
            table = Table("engine", "wall s", "jobs/s", "× local")
            engines(table, sweep)
            console.print(table)
    if not args.skip_costs:
        measured = costs([int(x) for x in args.lags.split(",")], args.group, args.budget)
        table = Table("lag", "compile s", "ms per sequence", "s per 100,000 sequences",
                      title=f"one adding job: {args.group} seeds of the LSTM side by side")  # fmt: skip
        for lag, compiled, per in measured:
            table.add_row(str(lag), f"{compiled:.1f}", f"{per * 1e3:.2f}", f"{per * 1e5:,.0f}")
        console.print(table)
        total, jobs = estimate(measured, args.group, args.big_budget)
        table = Table("machines", "hours (every job to its budget)",
                      title=f"{BIG_SEEDS} seeds × {BIG_CELLS} cells × lags {','.join(map(str, BIG_LAGS))}: "
                      f"{jobs} jobs of {args.group} seeds, {args.big_budget:,} sequences each")  # fmt: skip
        for machines in (1, 4, 16, 64):
            table.add_row(str(machines), f"{total / machines / 3600:,.1f}")
        table.caption = f"{total / 3600:,.0f} machine-hours like this one; no gain past {jobs} machines (a job each)"
        console.print(table)


if __name__ == "__main__":
    main()
