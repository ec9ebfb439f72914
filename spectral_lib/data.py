"""CIFAR-10 and CIFAR-100 from the official python-version files, md5-checked.

Where the files are looked for, in order: the ``data_dir`` argument, the
``SPECTRAL_CNN_DATA`` environment variable, then :func:`default_data_dir` (the
repository's ``data/`` folder in a source checkout, else
``~/.cache/spectral-cnn``). In that folder the loader accepts the extracted
official folder (``cifar-10-batches-py/``, ``cifar-100-python/``) or the
official tarball (``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``),
which it checks and extracts. When neither is there it downloads the official
tarball (``download=True``), checks its md5 and extracts it. Every file is
checked against its official md5 on every load; the folder appears only once
complete (extraction goes to a temporary folder that is renamed into place).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from spectral_lib.files import replaced

ENV_VAR = "SPECTRAL_CNN_DATA"


@dataclasses.dataclass(frozen=True)
class Archive:
    """An official data set: its folder, files with md5, tarball and where to get it."""

    name: str
    folder: str
    md5: dict[str, str]
    tarball: str
    tarball_md5: str
    url: str


CIFAR10 = Archive(
    name="CIFAR-10",
    folder="cifar-10-batches-py",
    md5={
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
        "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
    },
    tarball="cifar-10-python.tar.gz",
    tarball_md5="c58f30108f718f92721af3b95e74349a",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
)

CIFAR100 = Archive(
    name="CIFAR-100",
    folder="cifar-100-python",
    md5={
        "train": "16019d7e3df5f24257cddd939b257f8d",
        "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
        "meta": "7973b15100ade9c7d40fb424638fde48",
    },
    tarball="cifar-100-python.tar.gz",
    tarball_md5="eb9058c3a382ffc7106e4002c42a8d85",
    url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
)


@dataclasses.dataclass(frozen=True)
class Split:
    """Images ``(n, 32, 32, 3)`` uint8 NHWC and integer labels ``(n,)``."""

    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass(frozen=True)
class Dataset:
    train: Split
    test: Split
    label_names: list[str]


class DataError(RuntimeError):
    """The data set is missing or corrupt; the message says what to do."""


def default_data_dir() -> Path:
    """``<repo>/data`` when running from a source checkout, else ``~/.cache/spectral-cnn``."""
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file() and (repo / "data").is_dir():
        return repo / "data"
    return Path.home() / ".cache" / "spectral-cnn"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The argument, else ``$SPECTRAL_CNN_DATA``, else :func:`default_data_dir`."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return default_data_dir()


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _how_to_get(archive: Archive, root: Path) -> str:
    return (
        f"Download {archive.url} (md5 {archive.tarball_md5}) and put the tarball, or the "
        f"'{archive.folder}/' folder it unpacks to, in {root} (or point {ENV_VAR} or "
        "data_dir= at the folder that holds it)."
    )


def _bad_files(archive: Archive, folder: Path) -> list[str]:
    bad = []
    for name, expected in archive.md5.items():
        path = folder / name
        if not path.is_file():
            bad.append(f"{path}: missing (expected md5 {expected})")
        elif (actual := md5sum(path)) != expected:
            bad.append(f"{path}: md5 {actual}, expected {expected}")
    return bad


def _download(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` atomically, with a progress bar."""
    from tqdm.auto import tqdm

    with replaced(dest) as tmp, urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                bar.update(len(block))


def _extract(archive: Archive, tarball: Path, root: Path) -> None:
    """Check the tarball's md5, extract it beside ``root/folder`` and move it into place."""
    if (actual := md5sum(tarball)) != archive.tarball_md5:
        raise DataError(
            f"{archive.name}: {tarball} has md5 {actual}, expected {archive.tarball_md5}; "
            f"the file is corrupt or not the official one. {_how_to_get(archive, root)}"
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{archive.folder}-", dir=root))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            tar.extractall(staging, filter="data")
        extracted = staging / archive.folder
        if bad := _bad_files(archive, extracted):
            raise DataError(f"{archive.name}: {tarball} does not hold the official files:\n  " + "\n  ".join(bad))
        os.replace(extracted, root / archive.folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure(archive: Archive, data_dir=None, download: bool = True) -> Path:
    """Path of the checked official folder of ``archive``, extracting or downloading it if needed."""
    root = resolve_data_dir(data_dir)
    folder = root / archive.folder
    if not folder.exists():
        root.mkdir(parents=True, exist_ok=True)
        tarball = root / archive.tarball
        downloaded = not tarball.exists()
        if downloaded:
            if not download:
                raise DataError(f"{archive.name} not found: no {folder} or {tarball}. {_how_to_get(archive, root)}")
            try:
                _download(archive.url, tarball)
            except OSError as err:
                raise DataError(
                    f"{archive.name} not found in {root} and the download of {archive.url} "
                    f"failed ({err}). {_how_to_get(archive, root)}"
                ) from err
        try:
            _extract(archive, tarball, root)
        except DataError as err:
            if not downloaded:
                raise DataError(f"{err}\nDelete {tarball} first.") from None
            tarball.unlink(missing_ok=True)  # a bad download is not kept
            raise DataError(f"{err}\nThe download was removed.") from None
    if bad := _bad_files(archive, folder):
        raise DataError(
            f"{archive.name} in {folder} is incomplete or corrupt:\n  "
            + "\n  ".join(bad)
            + f"\nDelete {folder} and get it again. {_how_to_get(archive, root)}"
        )
    return folder


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")


def _split(batch: dict, label_key: str) -> Split:
    x = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return Split(np.ascontiguousarray(x), np.asarray(batch[label_key], dtype=np.int64))


def load_cifar10(data_dir=None, download: bool = True) -> Dataset:
    """CIFAR-10: 50 000 train and 10 000 test images, 10 classes.

    >>> data = load_cifar10(download=False)
    >>> data.train.x.shape, data.train.x.dtype, data.label_names[0]
    ((50000, 32, 32, 3), dtype('uint8'), 'airplane')
    """
    return _load_cifar10(CIFAR10, data_dir, download)


def _load_cifar10(archive: Archive, data_dir, download) -> Dataset:
    folder = ensure(archive, data_dir, download)
    batches = [_split(_unpickle(folder / f"data_batch_{i}"), "labels") for i in range(1, 6)]
    train = Split(np.concatenate([b.x for b in batches]), np.concatenate([b.y for b in batches]))
    test = _split(_unpickle(folder / "test_batch"), "labels")
    return Dataset(train, test, list(_unpickle(folder / "batches.meta")["label_names"]))


def load_cifar100(data_dir=None, label_mode: str = "fine", download: bool = True) -> Dataset:
    """CIFAR-100 with ``label_mode="fine"`` (100 classes) or ``"coarse"`` (20 superclasses)."""
    return _load_cifar100(CIFAR100, data_dir, label_mode, download)


def _load_cifar100(archive: Archive, data_dir, label_mode, download) -> Dataset:
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"`label_mode` must be 'fine' or 'coarse', got label_mode={label_mode!r}.")
    folder = ensure(archive, data_dir, download)
    key = f"{label_mode}_labels"
    train = _split(_unpickle(folder / "train"), key)
    test = _split(_unpickle(folder / "test"), key)
    return Dataset(train, test, list(_unpickle(folder / "meta")[f"{label_mode}_label_names"]))
