"""Reading MLflow concurrently (``read_each``): same results, same order, same first error, 2 requests a model."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest
from testing.mlflow_server import free_port, log_model_version

from clinigate.errors import EnvironmentProblem
from clinigate.registry.actual import READ_WORKERS, MlflowRegistry, is_remote, read_each


def _jittered(name: str) -> tuple[str, str]:
    time.sleep(random.uniform(0, 0.02))
    return name, threading.current_thread().name


def test_results_keep_the_order_of_the_names() -> None:
    names = [f"m{i:03d}" for i in range(60)]
    results = read_each(_jittered, names, remote=True)
    assert [name for name, _ in results] == names
    threads = {thread for _, thread in results}
    assert 1 < len(threads) <= READ_WORKERS + 1  # the pool plus the caller, who reads the first alone


def test_local_store_is_read_in_the_calling_thread() -> None:
    results = read_each(_jittered, ["a", "b", "c"], remote=False)
    assert {thread for _, thread in results} == {threading.current_thread().name}
    assert read_each(_jittered, [], remote=True) == []


def test_first_failure_in_name_order_is_raised_and_the_rest_cancelled() -> None:
    started: list[str] = []

    def read(name: str) -> str:
        started.append(name)
        if name in ("m005", "m007"):
            time.sleep(0.05 if name == "m005" else 0)  # m007 fails first in time, m005 first in order
            raise EnvironmentProblem(f"failed to read {name}")
        time.sleep(0.01)
        return name

    names = [f"m{i:03d}" for i in range(200)]
    with pytest.raises(EnvironmentProblem, match="m005"):
        read_each(read, names, remote=True)
    assert len(started) < len(names)  # reads not yet started when it failed never start


def test_remote_means_http() -> None:
    assert is_remote("http://127.0.0.1:5000") and is_remote("https://mlflow.example")
    assert not is_remote("sqlite:///mlflow.db") and not is_remote("/srv/mlruns") and not is_remote("file:///x")


def test_unreachable_server_fails_on_the_first_model_before_any_thread() -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    client = MlflowRegistry(uri)
    callers: set[str] = set()

    def read(name: str) -> object:
        callers.add(threading.current_thread().name)
        return client.registered_model(name)

    started = time.monotonic()
    with pytest.raises(EnvironmentProblem) as info:
        read_each(read, [f"model-{i}" for i in range(50)], remote=True)
    assert uri in str(info.value) and "model-0" in str(info.value)
    assert callers == {threading.current_thread().name}
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_concurrent_reads_match_sequential_with_two_requests_a_model(
        mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    mlflow = MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)
    names = [f"concurrent-p{os.getpid()}-{i:02d}" for i in range(24)]
    for i, name in enumerate(names):
        for _ in range(1 + i % 3):
            log_model_version(mlflow, name, {"MLmodel": name.encode()}, tmp_path)
        mlflow.set_registered_model_alias(name, "staging", "1")

    client = MlflowRegistry(mlflow_server)

    def read(name: str) -> object:
        return client.registered_model(name), client.versions(name)

    sequential = read_each(read, names, remote=False)

    import requests

    requests_made: list[str] = []
    real_request = requests.Session.request

    def counting(self: requests.Session, method: str, url: str, *args: object, **kwargs: object) -> object:
        requests_made.append(threading.current_thread().name)
        return real_request(self, method, url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(requests.Session, "request", counting)
    concurrent = read_each(read, names, remote=True)
    monkeypatch.undo()
    assert concurrent == sequential
    assert len(requests_made) == 2 * len(names)
    assert len(set(requests_made)) > 1
