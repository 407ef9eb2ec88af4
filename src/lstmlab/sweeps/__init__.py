"""Sweeps: a folder of jobs, run by the local or the Ray engine, resumable."""
