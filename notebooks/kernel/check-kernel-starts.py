#!/usr/bin/python3
"""Starts the spindle-java kernel N times and fails unless every start answers kernel_info in time.

    JUPYTER_PATH=notebooks/target/jupyter notebooks/kernel/check-kernel-starts.py [STARTS] [TIMEOUT_SECONDS]

No retries: this is the check that the kernel starts every time, not just eventually (rapaio kernel
3.0.1 loses its shell loop in about a third of its starts unless SpindleKernelLauncher repairs it;
see docs/notebooks.md). Prints a line per start and exits 1 if any start failed.
"""
import sys
import time

from jupyter_client.manager import KernelManager

starts = int(sys.argv[1]) if len(sys.argv) > 1 else 8
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
failed = 0
for i in range(1, starts + 1):
    manager = KernelManager(kernel_name="spindle-java")
    began = time.time()
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=timeout)
        outcome = "answered"
    except RuntimeError as e:  # "Kernel didn't respond in N seconds", "Kernel died before replying ..."
        outcome = "FAILED: " + str(e).splitlines()[0]
        failed += 1
    print(f"start {i} of {starts}: {outcome} after {time.time() - began:.1f} s", flush=True)
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    del client, manager  # now, not at interpreter exit, when jupyter_client's finalizer can no longer log
print(f"{starts - failed} of {starts} kernel starts answered kernel_info within {timeout:.0f} s", flush=True)
sys.exit(1 if failed else 0)
