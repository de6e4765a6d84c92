"""A flow whose start task stores a large artifact and, with KILL_MID_UPLOAD set, SIGKILLs itself
the moment its multipart upload to the S3 datastore has started: a writer killed mid-upload."""

import os
import signal
import threading
import time

from braidflow import FlowSpec, step


def _kill_once_uploading():
    """Poll the datastore's bucket from inside the task; die once an upload is in progress."""
    import boto3

    bucket, _, prefix = os.environ["BRAIDFLOW_DATASTORE"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads"):
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.005)


class KilledUploadFlow(FlowSpec):
    """start makes BIG_MIB mebibytes; end checks the size that came through."""

    @step
    def start(self):
        if os.environ.get("KILL_MID_UPLOAD"):
            threading.Thread(target=_kill_once_uploading, daemon=True).start()
        self.big = os.urandom(1 << 20) * int(os.environ.get("BIG_MIB", "160"))
        self.next(self.end)

    @step
    def end(self):
        self.size = len(self.big)


if __name__ == "__main__":
    KilledUploadFlow()
