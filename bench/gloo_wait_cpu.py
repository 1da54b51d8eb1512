"""Does Gloo busy-poll while it waits? Two ranks (processes without MPI) joined through the
rendezvous run N barriers (each an arrival exchange of 8 bytes with the other rank) and report the
wall time and the process CPU time (all threads: Gloo's event loop included) per barrier; a
transport that polls spends about as much CPU as wall time.

usage: PYTHONPATH=build/python python3 bench/gloo_wait_cpu.py [N]   (default 2000)
"""

import socket
import subprocess
import sys
import time

RANK = r"""
import sys, time, shoal
rank, address, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
shoal.init(timeout=60, rendezvous=address, world_size=2, rank=rank, job_secret="bench")
for _ in range(50):
    shoal._core.barrier()
cpu, wall = time.process_time(), time.perf_counter()
for _ in range(n):
    shoal._core.barrier()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(f"rank {rank}: {1e3 * wall / n:.3f} ms wall, {1e3 * cpu / n:.3f} ms process CPU per barrier", flush=True)
"""


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    ranks = [subprocess.Popen([sys.executable, "-c", RANK, str(r), address, str(n)]) for r in (0, 1)]
    start = time.time()
    codes = [p.wait(timeout=600) for p in ranks]
    print(f"{n} barriers on 2 Gloo ranks in {time.time() - start:.1f} s")
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
