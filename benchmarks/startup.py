"""Whole-process start-up: wall time and peak resident memory of short lstmlab commands.

    python benchmarks/startup.py               # 7 runs of each, medians
    python benchmarks/startup.py --runs 11

Each command runs as its own process (`lstmlab` from the same Python as this script); the
yardstick is `python -c "import jax, optax"`, the least any command that trains must pay.
`run timesteps` is timed warm: one untimed run first fills the compile cache (a temporary
one, so your own is left alone). Prints a table; asserts nothing.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from rich.console import Console
from rich.table import Table

YARDSTICK = "import jax, optax"


def lstmlab_command(*args: str) -> list[str]:
    script = shutil.which("lstmlab", path=os.path.dirname(sys.executable)) or shutil.which("lstmlab")
    return [script, *args] if script else [sys.executable, "-m", "lstmlab.cli", *args]


COMMANDS = {
    "python -c 'import jax, optax'": [sys.executable, "-c", YARDSTICK],
    "lstmlab --help": lstmlab_command("--help"),
    "lstmlab --version": lstmlab_command("--version"),
    "lstmlab list": lstmlab_command("list"),
    "lstmlab run timesteps (warm)": lstmlab_command("run", "timesteps"),
}


def measure(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with status {process.returncode}")
    return wall, usage.ru_maxrss / 1024  # Linux reports kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = os.environ | {"LSTMLAB_CACHE_DIR": cache}
        measure(COMMANDS["lstmlab run timesteps (warm)"], env)  # fills the compile cache
        rows = {}
        for label, command in COMMANDS.items():
            runs = [measure(command, env) for _ in range(args.runs)]
            rows[label] = (statistics.median(w for w, _ in runs), statistics.median(m for _, m in runs))
    yard_wall, yard_rss = rows["python -c 'import jax, optax'"]
    table = Table(title=f"Start-up, median of {args.runs} runs ({os.cpu_count()} CPUs)")
    for column in ("command", "wall s", "× yardstick", "peak RSS MB", "× yardstick RSS"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for label, (wall, rss) in rows.items():
        table.add_row(label, f"{wall:.3f}", f"{wall / yard_wall:.2f}", f"{rss:.0f}", f"{rss / yard_rss:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
