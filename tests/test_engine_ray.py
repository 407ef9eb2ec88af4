"""`compare --engine ray` (and `reproduce`'s): the same results as the local engine, bit for
bit, on a local Ray instance and on a simulated three-node cluster (ray.cluster_utils.Cluster);
a worker killed mid-job is retried and the sweep ends as an undisturbed one.

Without Ray these are skipped (pip install -e '.[test,ray]'), except in CI (CI=true), where
they fail. Ray starts slowly on two cores: one instance serves the module's first tests, and
the module sits behind the slow marker (`pytest -m slow`, which CI runs)."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lstmlab.cli.app import app
from lstmlab.results.comparison import parse_cells, plan_jobs
from lstmlab.sweeps.compare_jobs import compare
from tests.test_sweep import SMALL, job_outcomes, same_report


def ray_or_skip():
    try:
        import ray
    except ImportError:
        why = "Ray is not installed (pip install -e '.[test,ray]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Ray tests must run in CI: {why}")
        pytest.skip(why)
    return ray


SEEDS = (1, 2, 3, 4, 5, 6)
# Ray starts its processes (fork, then exec at once) from this process, where JAX has run: JAX's
# warning about threads across fork does not apply to a child that execs straight away.
pytestmark = [
    pytest.mark.slow,  # two minutes on two cores, most of it Ray starting its processes
    pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning"),
]


def small_jobs():
    return plan_jobs("long-lag", parse_cells("lstm,rnn"), (5,), SEEDS, 2, budget=2000)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, compile_cache):
    """A module's worth of folders, and the environment Ray's workers start with: the test
    session's compile cache, and where each attempt at a job is noted."""
    root = tmp_path_factory.mktemp("ray")
    (root / "starts").mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LSTMLAB_CACHE_DIR", str(compile_cache))
        env.setenv("LSTMLAB_JOB_STARTS", str(root / "starts"))
        yield root


@pytest.fixture(scope="module")
def local_result(folders):
    """The reference: the plain local loop, in this process."""
    compare(small_jobs(), SEEDS, folders / "local", group=2)
    return folders / "local"


@pytest.fixture(scope="module")
def local_ray(folders, local_result):
    ray = ray_or_skip()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


def attempts(starts: Path) -> dict[str, list[int]]:
    """Per job, the processes that started it."""
    seen: dict[str, list[int]] = {}
    for path in starts.iterdir():
        job, pid = path.name.rsplit(".", 1)
        seen.setdefault(job, []).append(int(pid))
    return seen


def clear(starts: Path) -> None:
    for path in starts.iterdir():
        path.unlink()


def strike_first_worker(starts: Path, killed: list) -> threading.Thread:
    """A thread that SIGKILLs the first process to start a job (as noted in `starts`), while it
    trains, and puts (job id, pid) in `killed`; gives up after five minutes."""

    def strike():
        deadline = time.monotonic() + 300
        while not killed and time.monotonic() < deadline:
            for path in starts.iterdir():
                job, pid = path.name.rsplit(".", 1)
                os.kill(int(pid), signal.SIGKILL)
                killed.append((job, int(pid)))
                break
            time.sleep(0.01)

    striker = threading.Thread(target=strike)
    striker.start()
    return striker


def test_a_local_ray_instance_gives_the_local_engines_results(folders, local_result, local_ray):
    clear(folders / "starts")
    compare(small_jobs(), SEEDS, folders / "on-ray", engine="ray", group=2)
    assert job_outcomes(folders / "on-ray") == job_outcomes(local_result)  # loss histories too, float for float
    assert same_report(folders / "on-ray") == same_report(local_result)
    ran = attempts(folders / "starts")
    assert sorted(ran) == sorted(p.stem for p in (local_result / "jobs").glob("*.json"))
    assert all(pid != os.getpid() for pids in ran.values() for pid in pids)  # in Ray's workers, not here


def test_a_worker_killed_mid_job_is_retried_and_the_sweep_ends_the_same(folders, local_result, local_ray):
    """SIGKILL the first worker to start a job, while it trains: Ray starts the job again
    elsewhere, and the results are the undisturbed ones."""
    starts = folders / "starts"
    clear(starts)
    killed = []
    striker = strike_first_worker(starts, killed)
    try:
        compare(small_jobs(), SEEDS, folders / "struck", engine="ray", group=2)
    finally:
        striker.join()
    ((job, pid),) = killed
    ran = attempts(starts)
    assert pid in ran[job] and len(ran[job]) == 2  # started, killed, retried once in another process
    assert all(len(pids) == 1 for name, pids in ran.items() if name != job)
    assert job_outcomes(folders / "struck") == job_outcomes(local_result)
    assert same_report(folders / "struck") == same_report(local_result)


def test_a_job_whose_retries_run_out_is_one_line_saying_how_to_go_on(folders, local_ray):
    """With no retries left, a killed worker ends the sweep with one line that names the job
    and says --resume goes on; whatever finished before is handed over, nothing else."""
    from lstmlab.errors import LstmlabError
    from lstmlab.sweeps import compare_jobs, sweep
    from lstmlab.sweeps.engine_ray import run_on_ray

    starts = folders / "starts"
    clear(starts)
    killed = []
    jobs = small_jobs()[:2]
    handed = []
    striker = strike_first_worker(starts, killed)
    try:
        with pytest.raises(LstmlabError) as raised:
            cores = sweep.cores_per_job(folders / "unused", resume=False)
            named = [(job, compare_jobs.job_id(job)) for job in jobs]
            run_on_ray(named, cores, compare_jobs.compare_work, lambda i, d: handed.append(d["id"]), max_retries=0)
    finally:
        striker.join()
    ((job, _pid),) = killed
    assert str(raised.value) == (
        f"job {job} lost its worker 1 time; the jobs finished so far are kept: "
        "run the same command with --resume to go on"
    )
    assert job not in handed and set(handed) <= {compare_jobs.job_id(job) for job in jobs}


def test_reproduce_on_ray_gives_the_local_engines_report(folders, local_ray):
    """reproduce's jobs (one per experiment) on Ray: the same report as the local engine's."""
    from lstmlab.results.reproduction import plan
    from lstmlab.sweeps.experiment_jobs import reproduce
    from tests.test_sweep import reproduce_report

    configs = plan("naive,timesteps", epochs=2)
    reproduce(configs, (1, 2, 3), folders / "reproduce-local")
    clear(folders / "starts")
    reproduce(configs, (1, 2, 3), folders / "reproduce-ray", engine="ray")
    assert sorted(attempts(folders / "starts")) == ["naive", "timesteps"]
    assert reproduce_report(folders / "reproduce-ray") == reproduce_report(folders / "reproduce-local")


def test_run_on_ray_gives_the_local_engines_document(folders, local_ray):
    """`run --seeds N --out DIR --engine ray`: an experiment's and a task's seed groups on Ray
    give the local engine's document, each group in a Ray worker."""
    from lstmlab.settings.config import load_config, load_task_config
    from lstmlab.sweeps.seed_jobs import run_sweep
    from tests.test_run_sweep import folder_document

    configs = {"timesteps": load_config("timesteps", epochs=40)}
    configs["long-lag"] = load_task_config("long-lag", lag=5, budget=1500)
    for name, config in configs.items():
        run_sweep(config, (1, 2, 3, 4), folders / f"run-{name}-local", group=2)
        clear(folders / "starts")
        run_sweep(config, (1, 2, 3, 4), folders / f"run-{name}-ray", group=2, engine="ray")
        ran = attempts(folders / "starts")
        assert sorted(ran) == ["seeds1-2", "seeds3-4"]
        assert all(pid != os.getpid() for pids in ran.values() for pid in pids)
        assert folder_document(folders / f"run-{name}-ray") == folder_document(folders / f"run-{name}-local")


def test_a_three_node_cluster_through_the_command_line(folders, local_result, local_ray):
    """`--engine ray --address` to a cluster of three nodes (each a raylet of its own on this
    machine); the jobs spread over the nodes and give the local engine's results."""
    from ray.cluster_utils import Cluster

    local_ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        for _ in range(2):
            cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        out = folders / "cluster"
        args = ["compare", *SMALL, "--out", str(out), "--engine", "ray", "--address", cluster.address]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    finally:
        cluster.shutdown()
    assert job_outcomes(out) == job_outcomes(local_result)
    assert same_report(out) == same_report(local_result)
    import json

    nodes = {json.loads(p.read_text())["node"] for p in (out / "jobs").glob("*.json")}
    assert len(nodes) >= 2


def test_a_ray_sweep_given_ctrl_c_resumes_with_only_the_missing_jobs(folders, local_result):
    """The driver of a Ray sweep (a process of its own, with its own local Ray instance) gets
    Ctrl-C once two jobs are in: it ends with status 130, Ray shut down, the finished jobs
    kept; --resume on Ray runs the rest and ends as the undisturbed local sweep."""
    import subprocess

    from tests.test_sweep import lstmlab, run

    out = folders / "ray-cut"
    driver = lstmlab(
        "compare", *SMALL, "--out", str(out), "--engine", "ray", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    while len(list(out.glob("jobs/*.json"))) < 2 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.send_signal(signal.SIGINT)
    stderr = driver.communicate(timeout=120)[1]
    assert driver.returncode == 130 and stderr.strip().splitlines()[-1] == "Interrupted.", stderr
    kept = len(list(out.glob("jobs/*.json")))
    assert 2 <= kept < 6 and not (out / "results.json").exists()

    status, stderr = run("compare", *SMALL, "--out", str(out), "--engine", "ray", "--resume")
    assert status == 0, stderr
    assert f"{kept} of 6 jobs already done, running {6 - kept}." in stderr.splitlines()
    assert job_outcomes(out) == job_outcomes(local_result)
    assert same_report(out) == same_report(local_result)
