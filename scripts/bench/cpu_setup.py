"""Settings that must be in place before torch, and the BLAS it links, are loaded.

Debian's torch does its float32 matmuls through the system BLAS (libblas.so.3). Without OpenBLAS
installed that is the netlib reference BLAS, about 50x slower (install libopenblas0-openmp).
OpenBLAS picks its kernels from the CPU model it detects, and on virtual CPUs it does not know
(e.g. "Intel(R) Xeon(R) Processor") OpenBLAS 0.3.21 falls back to its SSE3 "Prescott" kernels,
about 3x slower than the AVX2/AVX-512 ones the CPU has. So, unless the user already chose one,
name the kernel family from the CPU's feature flags. Harmless where OpenBLAS is not the BLAS.

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


if "torch" not in sys.modules and "OPENBLAS_CORETYPE" not in os.environ:
    coretype = openblas_coretype(_cpu_flags())
    if coretype:
        os.environ["OPENBLAS_CORETYPE"] = coretype
