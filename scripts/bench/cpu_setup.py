"""Settings that must be in place before torch, and the BLAS it links, are loaded.

Debian's torch does its float32 matmuls through the system BLAS (libblas.so.3). Without OpenBLAS
installed that is the netlib reference BLAS, about 50x slower (install libopenblas0-openmp).
OpenBLAS picks its kernels from the CPU model it detects, and on virtual CPUs it does not know
(e.g. "Intel(R) Xeon(R) Processor") OpenBLAS 0.3.21 falls back to its SSE3 "Prescott" kernels,
about 3x slower than the AVX2/AVX-512 ones the CPU has. So, unless the user already chose one,
name the kernel family from the CPU's feature flags. Harmless where OpenBLAS is not the BLAS.

OMP_WAIT_POLICY defaults to PASSIVE: idle OpenMP threads sleep instead of spinning. On a machine
shared with other work (2 cores, a dozen runnable processes) spinning threads burn the time slices
their partners need, and a 2-thread rollout measured ~10x slower than with PASSIVE. Set
OMP_WAIT_POLICY=ACTIVE to measure with spinning (perhaps a little faster on an idle machine).

Import this module before torch: `import cpu_setup  # noqa: F401` as the first import.
"""

from __future__ import annotations

import os
import sys


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def openblas_coretype(flags: set[str]) -> str | None:
    """OpenBLAS's name for the best kernel family these CPU flags support, or None (let it detect)."""
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


if "torch" not in sys.modules:
    if "OPENBLAS_CORETYPE" not in os.environ:
        coretype = openblas_coretype(_cpu_flags())
        if coretype:
            os.environ["OPENBLAS_CORETYPE"] = coretype
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def settings() -> dict[str, str | None]:
    """The settings in force, for benchmark reports."""
    return {name.lower(): os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OMP_WAIT_POLICY")}
