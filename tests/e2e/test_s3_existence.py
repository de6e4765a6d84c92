"""Existence checks on the S3 datastore are batched: storing many blobs asks moto's real server
which keys it holds in a few requests, counted with botocore's own event hooks."""

from __future__ import annotations

import collections
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from braidflow.datastore import ArtifactStore
from braidflow.datastore import s3 as s3_store
from braidflow.datastore.s3 import S3BlobStore
from servers.moto_s3 import MotoServer


def _counted_store(
    server: MotoServer, bucket: str, cache: Path
) -> tuple[ArtifactStore, collections.Counter[str]]:
    """An artifact store on the bucket whose every S3 request is counted by operation name."""
    env = server.env()
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    sent: collections.Counter[str] = collections.Counter()

    def count(event_name: str, **_: Any) -> None:
        sent[event_name.rpartition(".")[2]] += 1

    session.events.register("before-send.s3", count)  # every HTTP request the client sends
    return ArtifactStore(S3BlobStore(bucket, "bf", session=session, cache=cache)), sent


def _values(start: int, stop: int) -> list[bytes]:
    return [i.to_bytes(4, "big") * 512 for i in range(start, stop)]  # 2 KiB: never inline


@pytest.fixture
def endpoint(moto_s3: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3.endpoint)
    return moto_s3


def test_storing_many_blobs_asks_which_exist_in_one_list_not_one_head_each(
    endpoint: MotoServer, s3_bucket: str, tmp_path: Path
) -> None:
    store, sent = _counted_store(endpoint, s3_bucket, tmp_path / "cache")
    with store.batch():
        first = [store.save(value) for value in [*_values(0, 200), *_values(0, 10)]]
    assert sent == {"ListObjectsV2": 1, "PutObject": 200}  # duplicates went up once

    sent.clear()
    with store.batch():
        second = [store.save(value) for value in _values(150, 250)]
    assert sent == {"ListObjectsV2": 1, "PutObject": 50}  # only the 50 new ones

    reader, _ = _counted_store(endpoint, s3_bucket, tmp_path / "another-machine")
    values = [*_values(0, 200), *_values(0, 10), *_values(150, 250)]
    for blob, value in zip([*first, *second], values, strict=True):
        assert reader.load(blob.key) == value


def test_a_few_blobs_are_checked_with_heads(endpoint: MotoServer, s3_bucket: str, tmp_path: Path) -> None:
    store, sent = _counted_store(endpoint, s3_bucket, tmp_path / "cache")
    with store.batch():
        for value in _values(0, 3):
            store.save(value)
    assert sent == {"HeadObject": 3, "PutObject": 3}


def test_the_list_sweep_answers_every_key_across_pages_and_falls_back_to_heads(
    endpoint: MotoServer, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, sent = _counted_store(endpoint, s3_bucket, tmp_path / "cache")
    with store.batch():
        stored = {store.save(value).key for value in _values(0, 120)}
    absent = {os.urandom(32).hex() for _ in range(60)}
    blobs = store.blobs
    assert isinstance(blobs, S3BlobStore)

    sent.clear()
    monkeypatch.setattr(s3_store, "LIST_PAGE", 40)  # small pages, so that the sweep pages
    asked = {*list(stored)[:100], *absent}
    assert blobs.existing(asked) == asked & stored
    assert 1 < sent["ListObjectsV2"] < 10 and sent["HeadObject"] <= s3_store.HEAD_BATCH

    sent.clear()
    monkeypatch.setattr(s3_store, "LIST_PAYS", 10**6)  # no page pays: one LIST, then HEADs
    assert blobs.existing(asked) == asked & stored
    assert sent["ListObjectsV2"] == 1 and 0 < sent["HeadObject"] < len(asked)
