"""client: list every run of HelloFlow (set up with 50 runs) and print how many there are."""

from braidflow import Flow, namespace

namespace(None)
runs = list(Flow("HelloFlow").runs())
print(len(runs))
