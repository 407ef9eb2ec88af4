"""A bounded load test of the playground (`lstmlab serve`), against 127.0.0.1 only.

Starts `lstmlab serve` on a free port in a fresh process, then measures:
1. Train on `timesteps` (the tutorial's settings) after the first compile: from the POST to the
   run document in hand, as the page does it (POST /api/runs, the event stream, GET the run);
2. one client typing: POST /api/predict and /api/inspect one after another (p50, p99);
3. 50 concurrent clients × 200 predict requests each while trainings run back to back
   (100 seeds of `timesteps` each, their streams open), with the latency per request and errors.

    python benchmarks/load.py [--clients 50] [--requests 200]

Clients are threads of this process, each with one keep-alive connection; their own time is
part of the latency measured.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"  # never anywhere else: this is a load test of one's own machine


def request(conn, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    payload = None if body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def start_server(models: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lstmlab.cli", "serve", "--port", "0", "--models", models],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()  # "lstmlab playground: http://127.0.0.1:PORT/  (...)"
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    return process, port


def train(port: int, body: dict) -> tuple[str, float]:
    """POST a run, read its stream to the end, GET its document: (run id, seconds)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    status, answer = request(conn, "POST", "/api/runs", body)
    assert status == 202, answer
    run = json.loads(answer)["run"]
    conn.request("GET", f"/api/runs/{run}/events")
    stream = conn.getresponse()
    last = b""
    for line in stream:
        if line.startswith(b"event: "):
            last = line.strip()
    assert last == b"event: done", last
    conn.close()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    status, answer = request(conn, "GET", f"/api/runs/{run}")
    assert status == 200, answer
    return run, time.perf_counter() - started


def latencies(port: int, path: str, body: dict, count: int) -> list[float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, answer = request(conn, "POST", path, body)
        times.append(time.perf_counter() - started)
        assert status == 200, answer
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def row(name: str, times: list[float], errors: int = 0, extra: str = "") -> str:
    p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
    return f"| {name} | {len(times):,} | {p50:.1f} | {p99:.1f} | {max(times) * 1000:.1f} | {errors} | {extra} |"


def load(port: int, run: str, clients: int, requests: int) -> tuple[list[float], int, float, int]:
    """`clients` threads × `requests` predicts while trainings run back to back."""
    times: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    done = threading.Event()
    trainings = []

    def keep_training():
        while not done.is_set():
            trainings.append(train(port, {"experiment": "timesteps", "seeds": 100})[1])

    def client(k):
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        for _ in range(requests):
            started = time.perf_counter()
            try:
                status, _ = request(conn, "POST", "/api/predict", {"run": run, "text": "KLM", "top": 5})
                errors[k] += status != 200
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            times[k].append(time.perf_counter() - started)

    trainer = threading.Thread(target=keep_training)
    trainer.start()
    time.sleep(1.0)  # the first training compiles; let it start training
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    done.set()
    trainer.join()
    return [t for ts in times for t in ts], sum(errors), wall, len(trainings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as models:
        process, port = start_server(models)
        try:
            _, first = train(port, {"experiment": "timesteps"})  # compiles (or loads the kept programs)
            runs = [train(port, {"experiment": "timesteps"}) for _ in range(5)]
            run = runs[-1][0]
            typed = latencies(port, "/api/predict", {"run": run, "text": "KLM", "top": 5}, 300)
            inspected = latencies(port, "/api/inspect", {"run": run, "text": "KLM"}, 300)
            under_load, errors, wall, trainings = load(port, run, args.clients, args.requests)
        finally:
            process.terminate()
            process.wait(30)
    seconds = sorted(s for _, s in runs)
    print(f"Machine: {os.cpu_count()} CPU cores; server: lstmlab serve on {HOST}, a process of its own.")
    print(
        f"Train timesteps (500 epochs, batch 1), POST to document: first {first:.2f} s (compiling or loading "
        f"kept programs); then median {statistics.median(seconds):.2f} s of 5 (min {seconds[0]:.2f}, "
        f"max {seconds[-1]:.2f})"
    )
    print()
    print("| requests | count | p50 ms | p99 ms | max ms | errors | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(row("predict, one client", typed))
    print(row("inspect, one client", inspected))
    print(
        row(
            f"predict, {args.clients} clients × {args.requests}, trainings running",
            under_load,
            errors,
            f"{len(under_load) / wall:,.0f} requests/s; {trainings} trainings of 100 seeds ran meanwhile",
        )
    )


if __name__ == "__main__":
    main()
