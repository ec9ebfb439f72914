"""CIFAR loader on small fake files in the official pickle format (no real data needed)."""

import dataclasses
import hashlib
import pickle
import tarfile

import numpy as np
import pytest

from spectral_lib import data

N = 4  # images per fake batch


def _md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def _batch(seed, label_keys):
    rng = np.random.default_rng(seed)
    batch = {"data": rng.integers(0, 256, (N, 3072), dtype=np.uint8), "batch_label": b"fake"}
    for key, classes in label_keys.items():
        batch[key] = list(rng.integers(0, classes, N))
    return batch


@pytest.fixture
def fake_cifar10(tmp_path):
    """A fake cifar-10-batches-py/ in tmp_path/source and its Archive (md5s of the fakes)."""
    folder = tmp_path / "source" / data.CIFAR10.folder
    folder.mkdir(parents=True)
    files = {f"data_batch_{i}": _batch(i, {"labels": 10}) for i in range(1, 6)}
    files["test_batch"] = _batch(9, {"labels": 10})
    files["batches.meta"] = {"label_names": [f"class{i}" for i in range(10)]}
    for name, content in files.items():
        (folder / name).write_bytes(pickle.dumps(content))
    tarball = tmp_path / "source" / data.CIFAR10.tarball
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(folder, arcname=data.CIFAR10.folder)
    archive = dataclasses.replace(
        data.CIFAR10,
        md5={name: _md5(folder / name) for name in files},
        tarball_md5=_md5(tarball),
        url=tarball.as_uri(),
    )
    return archive, folder, files


def _no_leftovers(root):
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_reads_the_official_layout(fake_cifar10):
    archive, folder, files = fake_cifar10
    dataset = data._load_cifar10(archive, folder.parent, download=False)
    assert dataset.train.x.shape == (5 * N, 32, 32, 3) and dataset.train.x.dtype == np.uint8
    assert dataset.test.x.shape == (N, 32, 32, 3)
    assert dataset.label_names[3] == "class3"
    # row layout: 1024 red, then green, then blue values, each row-major 32 x 32
    row = files["data_batch_2"]["data"][1]
    image = dataset.train.x[N + 1]
    assert image[5, 7, 0] == row[5 * 32 + 7]
    assert image[5, 7, 1] == row[1024 + 5 * 32 + 7]
    assert image[31, 0, 2] == row[2048 + 31 * 32]
    np.testing.assert_array_equal(dataset.train.y[:N], files["data_batch_1"]["labels"])


def test_extracts_the_tarball(fake_cifar10, tmp_path):
    archive, folder, _ = fake_cifar10
    root = tmp_path / "root"
    root.mkdir()
    (root / archive.tarball).write_bytes((folder.parent / archive.tarball).read_bytes())
    dataset = data._load_cifar10(archive, root, download=False)
    assert dataset.train.x.shape[0] == 5 * N
    assert _no_leftovers(root) == sorted([archive.folder, archive.tarball])


def test_downloads_when_missing(fake_cifar10, tmp_path):
    archive, _, _ = fake_cifar10
    root = tmp_path / "fresh"
    dataset = data._load_cifar10(archive, root, download=True)
    assert dataset.test.x.shape == (N, 32, 32, 3)
    assert _no_leftovers(root) == sorted([archive.folder, archive.tarball])


def test_failed_download_leaves_nothing_and_says_what_to_do(fake_cifar10, tmp_path):
    archive, _, _ = fake_cifar10
    archive = dataclasses.replace(archive, url=(tmp_path / "nowhere.tar.gz").as_uri())
    root = tmp_path / "offline"
    with pytest.raises(data.DataError, match=r"download of .*nowhere.tar.gz failed.*md5"):
        data._load_cifar10(archive, root, download=True)
    assert _no_leftovers(root) == []


def test_corrupt_download_is_not_kept(fake_cifar10, tmp_path):
    archive, _, _ = fake_cifar10
    archive = dataclasses.replace(archive, tarball_md5="0" * 32)
    root = tmp_path / "fresh"
    with pytest.raises(data.DataError, match="expected 0{32}"):
        data._load_cifar10(archive, root, download=True)
    assert _no_leftovers(root) == []


def test_missing_without_download(fake_cifar10, tmp_path):
    archive, _, _ = fake_cifar10
    with pytest.raises(data.DataError, match=r"not found.*cifar-10-batches-py.*Download"):
        data._load_cifar10(archive, tmp_path / "empty", download=False)


def test_corrupt_file_is_detected(fake_cifar10):
    archive, folder, _ = fake_cifar10
    path = folder / "data_batch_3"
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(
        data.DataError, match=rf"data_batch_3: md5 [0-9a-f]{{32}}, expected {archive.md5['data_batch_3']}"
    ):
        data._load_cifar10(archive, folder.parent, download=False)


def test_corrupt_tarball_is_rejected_and_nothing_extracted(fake_cifar10, tmp_path):
    archive, folder, _ = fake_cifar10
    root = tmp_path / "root"
    root.mkdir()
    (root / archive.tarball).write_bytes(b"not a tarball")
    with pytest.raises(data.DataError, match=rf"expected {archive.tarball_md5}"):
        data._load_cifar10(archive, root, download=False)
    assert _no_leftovers(root) == [archive.tarball]


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    assert data.resolve_data_dir() == tmp_path / "env"
    assert data.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.resolve_data_dir() == data.default_data_dir()


def test_cifar100_label_modes(tmp_path):
    folder = tmp_path / data.CIFAR100.folder
    folder.mkdir()
    files = {
        "train": _batch(1, {"fine_labels": 100, "coarse_labels": 20}),
        "test": _batch(2, {"fine_labels": 100, "coarse_labels": 20}),
        "meta": {"fine_label_names": [f"f{i}" for i in range(100)], "coarse_label_names": [f"c{i}" for i in range(20)]},
    }
    for name, content in files.items():
        (folder / name).write_bytes(pickle.dumps(content))
    archive = dataclasses.replace(data.CIFAR100, md5={name: _md5(folder / name) for name in files})
    fine = data._load_cifar100(archive, tmp_path, "fine", download=False)
    coarse = data._load_cifar100(archive, tmp_path, "coarse", download=False)
    np.testing.assert_array_equal(fine.test.y, files["test"]["fine_labels"])
    np.testing.assert_array_equal(coarse.test.y, files["test"]["coarse_labels"])
    assert len(fine.label_names) == 100 and len(coarse.label_names) == 20
    with pytest.raises(ValueError, match="label_mode.*'medium'"):
        data._load_cifar100(archive, tmp_path, "medium", download=False)


def _real_data_present():
    root = data.resolve_data_dir()
    return (root / data.CIFAR10.folder).is_dir() and (root / data.CIFAR100.folder).is_dir()


@pytest.mark.skipif(not _real_data_present(), reason="official CIFAR files not in the data folder")
def test_real_cifar():
    cifar10 = data.load_cifar10(download=False)
    assert cifar10.train.x.shape == (50000, 32, 32, 3) and cifar10.test.x.shape == (10000, 32, 32, 3)
    assert np.bincount(cifar10.test.y).tolist() == [1000] * 10
    assert cifar10.label_names[0] == "airplane"
    cifar100 = data.load_cifar100(download=False, label_mode="coarse")
    assert cifar100.train.y.max() == 19 and len(cifar100.label_names) == 20
