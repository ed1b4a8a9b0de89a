"""Read ``silence_latent.pt`` without importing torch.

A ``torch.save`` file is a zip holding ``data.pkl`` (a pickle that rebuilds tensors from
storages) and ``data/<key>`` (the raw storage bytes). This reader unpickles with a whitelist —
only the few globals a plain tensor needs (``torch._utils._rebuild_tensor_v2``, the storage
types, ``collections.OrderedDict``) are allowed, everything else is refused — and builds numpy
arrays from the storage bytes. It reads single tensors and dicts of tensors, which is all the
official checkpoints contain.
"""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_, "BFloat16Storage": "bfloat16",
}


class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name


def _rebuild_tensor(storage, offset, size, stride, *_rest):
    data, dtype = storage
    count = int(np.prod(size)) if size else 1
    itemsize = np.dtype(dtype).itemsize
    flat = np.frombuffer(data, dtype=dtype)
    if tuple(stride) == tuple(np.cumprod((1,) + tuple(size[::-1]))[:-1][::-1].tolist()) or count <= 1:
        return flat[offset: offset + count].reshape(size).copy()
    return np.lib.stride_tricks.as_strided(flat[offset:], shape=size, strides=[s * itemsize for s in stride]).copy()


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a checkpoint")

    def persistent_load(self, pid: Any) -> Any:
        kind, storage_type, key, _location, _numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        name = storage_type.name if isinstance(storage_type, _StorageType) else str(storage_type)
        dtype = _STORAGE_DTYPES.get(name)
        if dtype is None or dtype == "bfloat16":
            raise pickle.UnpicklingError(f"unsupported storage {name}")
        return self.archive.read(f"{self.prefix}data/{key}"), dtype


def load_tensor_file(path: str | Path) -> Any:
    """A numpy array (or dict of arrays) from a ``torch.save`` zip file, without torch."""
    with zipfile.ZipFile(path) as archive:
        pkl = next(n for n in archive.namelist() if n.endswith("data.pkl"))
        prefix = pkl[: -len("data.pkl")]
        with archive.open(pkl) as fh:
            return _SafeUnpickler(fh, archive, prefix).load()
