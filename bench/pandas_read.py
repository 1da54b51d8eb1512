#!/usr/bin/env python3
"""pandas' read_csv (C engine) on the same table: rows/s and peak RSS, to compare with bench_table_read."""
import resource
import sys
import time

import pandas as pd

start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pandas {pd.__version__}: {len(frame)} rows in {seconds:.3f} s: {len(frame) / seconds:.0f} rows/s, peak RSS {peak:.1f} MiB")
