"""client: read an artifact through `latest_successful_run.data`."""

from braidflow import Flow, namespace

namespace(None)
print(Flow("HelloFlow").latest_successful_run.data.message)
