"""A small reader and writer for the safetensors format, in pure Python + numpy.

The `safetensors` package is not available here, and the format is simple enough not to need it:

    [8 bytes: little-endian u64 N] [N bytes: JSON header] [raw tensor data]

The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, the offsets
being relative to the start of the data section; an optional "__metadata__" entry holds strings.
Data is little-endian and row-major (C order).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import torch

# safetensors dtype name -> (numpy dtype used to decode the bytes, torch dtype of the result).
# BF16 has no numpy dtype: its bytes are decoded as uint16 and widened below.
_DTYPES: dict[str, tuple[np.dtype, torch.dtype]] = {
    "F64": (np.dtype("<f8"), torch.float64),
    "F32": (np.dtype("<f4"), torch.float32),
    "F16": (np.dtype("<f2"), torch.float16),
    "BF16": (np.dtype("<u2"), torch.bfloat16),
    "I64": (np.dtype("<i8"), torch.int64),
    "I32": (np.dtype("<i4"), torch.int32),
    "U8": (np.dtype("u1"), torch.uint8),
    "BOOL": (np.dtype("?"), torch.bool),
}
_NAMES: dict[torch.dtype, str] = {torch_dtype: name for name, (_, torch_dtype) in _DTYPES.items()}


def _bf16_to_torch(raw: np.ndarray) -> torch.Tensor:
    """bfloat16 is the top half of a float32: shift the 16 stored bits up and reinterpret."""
    widened = (raw.astype(np.uint32) << 16).view(np.float32)
    return torch.from_numpy(widened).to(torch.bfloat16)


def read_header(path: str | Path) -> tuple[dict, int]:
    """The parsed JSON header of a safetensors file and the byte offset where its data starts."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return header, 8 + length


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file, in their stored dtypes (BF16 stays torch.bfloat16)."""
    header, data_start = read_header(path)
    data = np.fromfile(path, dtype=np.uint8, offset=data_start)
    tensors: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {info['dtype']} (supported: {', '.join(_DTYPES)})")
        np_dtype, _ = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        expected = int(np.prod(shape, dtype=np.int64)) * np_dtype.itemsize
        if end - begin != expected:
            raise ValueError(f"{path}: tensor {name} has {end - begin} bytes, expected {expected} for {info['dtype']}{list(shape)}")
        # .copy(): own the memory, so the big file buffer can be freed and the tensor is writable.
        raw = data[begin:end].view(np_dtype).reshape(shape).copy()
        tensors[name] = _bf16_to_torch(raw) if info["dtype"] == "BF16" else torch.from_numpy(raw)
    return tensors


def _to_bytes(tensor: torch.Tensor) -> bytes:
    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        # Reinterpret the 16 bits (numpy cannot hold bfloat16); the byte order of int16 on x86/ARM is little-endian.
        return tensor.view(torch.int16).numpy().astype("<i2").tobytes()
    np_dtype, _ = _DTYPES[_NAMES[tensor.dtype]]
    return tensor.numpy().astype(np_dtype, copy=False).tobytes()


def write_safetensors(path: str | Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Writes `tensors` (sorted by name, as the safetensors package does) in their own dtypes."""
    header: dict[str, object] = {"__metadata__": metadata or {"format": "pt"}}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name]
        if tensor.dtype not in _NAMES:
            raise ValueError(f"tensor {name}: dtype {tensor.dtype} cannot be written")
        blob = _to_bytes(tensor)
        header[name] = {"dtype": _NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # The format asks for the data section to start 8-byte aligned; pad the header with spaces.
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
