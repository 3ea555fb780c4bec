#!/usr/bin/env python3
"""Run a staged copydesk run on a Ray cluster: the Ray equivalent of `copydesk slurm submit`.

    python3 copydesk_ray.py --work W --tasks N -o OUT [--config C] [--bin copydesk]
        [--address auto|ray://HOST:10001] [--retries 3] [--num-cpus-per-task 1] [--cwd DIR]
        INPUTS...

Every step is a `copydesk stage ...` subprocess run as a Ray task: first `stage plan` (skipped
when W/plan.json already has N tasks, so a rerun resumes the planned run), then each stage of
STAGES below, in order. A stage's tasks run concurrently, and every one of them must finish
before the next stage starts. A task that exits non-zero raises, with the tail of its stderr, and
Ray runs it again, up to --retries times (a task whose node dies is retried the same way).
copydesk's tasks are idempotent (a task whose output exists does nothing), so a retry, or a rerun
of this script with the same arguments after a failure, redoes only unfinished tasks. When a task
still fails after its retries, the script lets the rest of its stage finish, names the failed
tasks and exits 1. With no --address (and no $RAY_ADDRESS, which `ray job submit` sets) it
starts a new local Ray instance on this machine.

Every task runs in --cwd (default: the directory this script was started in, as sbatch does), so
relative INPUTS, OUT, --config and --work mean the same on every node. That directory, W, the
inputs and OUT must be on storage that every Ray node sees at the same path (NFS, a shared
PersistentVolume, a FUSE-mounted bucket), and --bin must exist on every node (a bare name is
looked up in each node's PATH). This script needs only `ray` where it runs: it touches no files.
See docs/ray.md.
"""

import argparse
import json
import os
import subprocess
import sys

import ray

EACH, ONE = "each", "one"
# The stages after `stage plan`, in order: one task per share ("each": --task 0..N-1) or a
# single task ("one": --task 0). A new stage of copydesk is one more line here.
STAGES = [
    ("prepare", EACH),
    ("clean", EACH),
    ("finish", ONE),
]


def copydesk(bin_, args, cwd):
    """Runs copydesk; returns its last stderr line, or raises (so Ray retries) with its tail."""
    if not os.path.isdir(cwd):
        raise RuntimeError(f"{cwd} does not exist on this node: it must be shared storage")
    p = subprocess.run([bin_, *args], cwd=cwd, capture_output=True, text=True)
    lines = p.stderr.strip().splitlines()
    if p.returncode != 0:
        message = f"`{' '.join(args)}` exited {p.returncode}: " + "\n".join(lines[-20:])
        # Ray forwards a worker's output to the driver, so every failed attempt shows there.
        print(f"copydesk-ray: attempt failed: {message}", file=sys.stderr, flush=True)
        raise RuntimeError(message)
    return lines[-1] if lines else "done"


def plan_task(bin_, args, cwd):
    """Plans the run unless W/plan.json already has as many tasks; returns (message, plan)."""
    work = os.path.join(cwd, args["work"])
    path = os.path.join(work, "plan.json")
    if os.path.exists(path):
        with open(path) as f:
            plan = json.load(f)
        if plan["tasks"] == args["tasks"]:
            return f"resuming the run planned in {path}", plan
        dirs = [os.path.join(work, stage) for stage, _ in STAGES]
        if any(os.path.isdir(d) and os.listdir(d) for d in dirs):
            raise ValueError(f"{path} has {plan['tasks']} tasks, not {args['tasks']}, and "
                             f"tasks have run: use --tasks {plan['tasks']} or a new --work")
    argv = ["stage", "plan", *args["inputs"], "--work", args["work"],
            "--tasks", str(args["tasks"]), "-o", args["output"]]
    if args["config"]:
        argv += ["-c", args["config"]]
    message = copydesk(bin_, argv, cwd)
    with open(path) as f:
        return message, json.load(f)


def run_stage(task, opts, stage, shares, bin_, work, cwd):
    """Runs every task of one stage and waits for them all; returns the failures."""
    pending = {
        task.options(**opts).remote(bin_, ["stage", stage, "--work", work, "--task", str(i)],
                                    cwd): i
        for i in range(shares)
    }
    done, failures = 0, []
    while pending:
        [ref], _ = ray.wait(list(pending), num_returns=1)
        i = pending.pop(ref)
        try:
            message = ray.get(ref)
            done += 1
            print(f"copydesk-ray: {stage} {done}/{shares}: {message}", flush=True)
        except ray.exceptions.RayError as e:
            cause = getattr(e, "cause", None) or e
            failures.append(f"{stage} task {i}: {cause}")
            print(f"copydesk-ray: {stage} task {i} FAILED after its retries", flush=True)
    return failures


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("inputs", nargs="*", help="files or folders [default: the config's inputs]")
    p.add_argument("--work", required=True, help="work folder, on shared storage")
    p.add_argument("--tasks", type=int, required=True, help="tasks of the per-share stages")
    p.add_argument("-o", "--output", required=True, help="output folder, on shared storage")
    p.add_argument("-c", "--config", help="configuration file")
    p.add_argument("--bin", default="copydesk", help="copydesk binary on every node")
    p.add_argument("--address", help="Ray cluster: auto, HOST:6379 or ray://HOST:10001 "
                   "[default: $RAY_ADDRESS, else a new local instance]")
    p.add_argument("--retries", type=int, default=3, help="retries of a failed task")
    p.add_argument("--num-cpus-per-task", type=float, default=1, help="CPUs Ray reserves")
    p.add_argument("--cwd", default=os.getcwd(), help="directory the tasks run in")
    a = p.parse_args()
    if a.tasks < 1:
        p.error("--tasks must be at least 1")
    cwd = os.path.abspath(a.cwd)
    # A bin given as a path is taken from --cwd, as the tasks run there; a bare name from PATH.
    bin_ = os.path.join(cwd, a.bin) if os.sep in a.bin else a.bin

    # "local" starts a new instance on this machine, never a stale one from /tmp/ray.
    ray.init(address=a.address or os.environ.get("RAY_ADDRESS") or "local")
    opts = {"num_cpus": a.num_cpus_per_task, "max_retries": a.retries, "retry_exceptions": True}
    task = ray.remote(copydesk)
    try:  # A plan that does not match the work folder's (ValueError) is not retried.
        message, plan = ray.get(ray.remote(plan_task).options(
            **{**opts, "retry_exceptions": [RuntimeError, OSError]}).remote(
            bin_, {"work": a.work, "tasks": a.tasks, "inputs": a.inputs,
                   "output": a.output, "config": a.config}, cwd))
    except ray.exceptions.RayError as e:
        sys.exit(f"copydesk-ray: plan failed: {getattr(e, 'cause', None) or e}")
    print(f"copydesk-ray: {message}", flush=True)

    for stage, kind in STAGES:
        shares = plan["tasks"] if kind == EACH else 1
        print(f"copydesk-ray: {stage}: {shares} task(s)", flush=True)
        failures = run_stage(task, opts, stage, shares, bin_, a.work, cwd)
        if failures:
            print("\n".join(f"copydesk-ray: failed: {f}" for f in failures), file=sys.stderr)
            sys.exit(f"copydesk-ray: {len(failures)} {stage} task(s) failed after "
                     f"{a.retries} retries; finished tasks are kept: rerun to resume")
    print(f"copydesk-ray: done; output in {os.path.join(cwd, plan['output'])}", flush=True)


if __name__ == "__main__":
    main()
