import os

import numpy as np
import pytest

from memsieve_torch.data import DataError, TokenData, length_buckets, pad_batch, read_token_file, write_token_file


def test_token_file_round_trip_and_layout(tmp_path):
    rows = [np.array([5, 6, 7]), np.array([], dtype=np.int64), np.array([1, 2])]
    path = str(tmp_path / "t.tokens")
    write_token_file(path, TokenData.from_rows(rows))
    data = read_token_file(path)
    assert len(data) == 3
    assert [data.row(i).tolist() for i in range(3)] == [[5, 6, 7], [], [1, 2]]
    # layout by hand: header line, int64 offsets, int32 ids
    raw = open(path, "rb").read()
    header_end = raw.index(b"\n") + 1
    assert np.frombuffer(raw[header_end : header_end + 32], "<i8").tolist() == [0, 3, 3, 5]
    assert np.frombuffer(raw[header_end + 32 :], "<i4").tolist() == [5, 6, 7, 1, 2]


def test_truncated_and_foreign_files_are_refused(tmp_path):
    path = str(tmp_path / "t.tokens")
    write_token_file(path, TokenData.from_rows([np.arange(10)]))
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 4)
    with pytest.raises(DataError, match="truncated"):
        read_token_file(path)
    other = tmp_path / "x.json"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(DataError, match="not a memsieve token file"):
        read_token_file(str(other))
    with pytest.raises(DataError, match="cannot open"):
        read_token_file(str(tmp_path / "missing.tokens"))


def test_pad_batch_right_pads_with_a_mask():
    ids, mask = pad_batch([np.array([3, 4, 5]), np.array([9])])
    assert ids.tolist() == [[3, 4, 5], [9, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_length_buckets_cover_every_row_once_within_budget():
    lengths = np.array([5, 100, 3, 50, 50, 7, 99, 1, 64])
    batches = length_buckets(lengths, max_tokens=128)
    seen = sorted(int(i) for b in batches for i in b)
    assert seen == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or lengths[b].max() * len(b) <= 128
