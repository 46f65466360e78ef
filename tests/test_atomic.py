"""Files written whole or not at all: the rename, the temp file removed on failure, stale ones."""

from __future__ import annotations

import errno
import os

import pytest

from unsuplab.atomic import OutputError, atomic_write, partial_path, remove_partials


def test_the_file_appears_only_when_the_block_ends(tmp_path):
    path = tmp_path / "metrics.csv"
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("step,loss\n")
        assert not path.exists() and partial_path(path).exists()
    assert path.read_text() == "step,loss\n" and not partial_path(path).exists()


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp_file(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("old\n")
    with pytest.raises(OutputError) as info, atomic_write(path, "w") as f:
        f.write("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(info.value) == f"{path}: cannot write (No space left on device)"
    assert info.value.errno == errno.ENOSPC and info.value.path == path
    assert path.read_text() == "old\n" and not partial_path(path).exists()


def test_any_other_error_also_removes_the_temp_file_and_passes_through(tmp_path):
    path = tmp_path / "picture.png"
    with pytest.raises(ZeroDivisionError), atomic_write(path) as f:
        f.write(b"\x89PNG")
        1 / 0  # noqa: B018
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_an_output_error_naming_the_file(tmp_path):
    path = tmp_path / "nowhere" / "config.json"
    missing = r"config.json: cannot write \(No such file or directory\)"
    with pytest.raises(OutputError, match=missing), atomic_write(path, "w"):
        pass


def test_stale_temp_files_are_removed_and_others_kept(tmp_path):
    (tmp_path / "checkpoint.pt.partial").write_bytes(b"killed")
    (tmp_path / "checkpoint.pt").write_bytes(b"whole")
    assert remove_partials(tmp_path) == [tmp_path / "checkpoint.pt.partial"]
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]
