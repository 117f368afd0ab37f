"""Runs a command, printing its wall time and the peak RSS of its process tree as JSON.

Usage: measure.py <output-file> <command> [args...]
The command's stdout and stderr go to <output-file>. Peak RSS is the largest resident set of any
process in the tree (getrusage RUSAGE_CHILDREN), so `curl | jq` reports its largest stage.
"""
import json
import resource
import subprocess
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
with open(out, "wb") as f:
    code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
elapsed_ms = (time.perf_counter() - started) * 1000
maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
kb = maxrss / 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS, KiB on Linux
print(json.dumps({"ms": elapsed_ms, "peakMb": kb / 1024, "exit": code}))
