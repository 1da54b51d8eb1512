"""What the benchmarks ask of the processor: AVX-512 for OpenBLAS's SkylakeX kernels, shoal's bf16 support."""
import os
import subprocess


def has_avx512():
    """Whether /proc/cpuinfo lists AVX-512F."""
    with open("/proc/cpuinfo") as f:
        return any(line.startswith("flags") and " avx512f" in line for line in f)


def openblas_coretype():
    """The environment that gives Debian's OpenBLAS (under PyTorch) its fastest kernels here:
    OPENBLAS_CORETYPE=SkylakeX where the processor has AVX-512 (OpenBLAS 0.3.21 takes the AMD EPYC
    of these machines for an AVX2 Zen and would not use it), nothing otherwise (its own choice; the
    SkylakeX kernels stop with an illegal instruction without AVX-512)."""
    return {"OPENBLAS_CORETYPE": "SkylakeX"} if has_avx512() else {}


def bf16_support(build):
    """shoal's bf16 support on this processor, as `shoal info` says it: "none (avx2)",
    "emulated on avx512_core", "AVX512-BF16 (avx512_core_bf16)", ..."""
    out = subprocess.run([os.path.join(build, "shoal"), "info"], capture_output=True, text=True,
                         check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("bf16:"))
