"""Seed throughput: model-steps per second when many seeds train at once.

    python benchmarks/seeds.py                        # timesteps at 1, 10, 100 and 1000 seeds
    python benchmarks/seeds.py --seeds 100 --repeats 3
    python benchmarks/seeds.py --experiment naive --devices 1

A model-step is one optimiser update of one seed's model (one batch). Compilation is timed
with no persistent cache (a first run; a fresh process compiles every group size anew);
training is timed on the compiled programs, best of --repeats. Prints a table; asserts
nothing. The goals on a 2-core machine: 100 seeds of timesteps in under 30 s with
compilation, and 250,000 model-steps/s at 100 and at 1000 seeds.
"""

import argparse
import os
import time

from lstmlab.engine.runtime import use_cpu_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="timesteps")
    parser.add_argument("--seeds", default="1,10,100,1000", help="comma-separated seed counts")
    parser.add_argument("--epochs", type=int, default=None, help="default: the tutorial's")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--devices", type=int, default=None, help="CPU devices (default: one per core)")
    args = parser.parse_args()
    use_cpu_cores(args.devices)  # before JAX starts

    import jax
    from rich.console import Console
    from rich.table import Table

    from lstmlab.engine.data import make_dataset
    from lstmlab.engine.training import max_group_size, plan_groups, train
    from lstmlab.settings.config import load_config, steps_per_epoch

    config = load_config(args.experiment, **({"epochs": args.epochs} if args.epochs else {}))
    patterns = make_dataset(config).train
    steps = config.epochs * steps_per_epoch(config, len(patterns))
    devices = jax.local_devices()
    table = Table(
        title=f"lstmlab seeds: {args.experiment}, {config.epochs} epochs × {steps // config.epochs} steps, "
        f"{len(devices)} {devices[0].platform} devices, {os.cpu_count()} cores"
    )
    for column in ("seeds", "groups", "compile s", "train s", "first run s", "model-steps/s"):
        table.add_column(column, justify="right")
    for count in (int(n) for n in args.seeds.split(",")):
        groups = plan_groups(count, len(devices), max_group_size(config, len(patterns), devices[0].platform))
        runs, walls = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            runs.append(train(config, patterns, seeds=range(1, count + 1)))
            walls.append(time.perf_counter() - started)
        total = walls[0]  # the first run: compiling included
        best = min(r.train_seconds for r in runs)
        table.add_row(
            f"{count:,}",
            f"{len(groups)} × {len(groups[0])}",
            f"{runs[0].compile_seconds:.2f}",
            f"{best:.2f}",
            f"{total:.2f}",
            f"{steps * count / best:,.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
