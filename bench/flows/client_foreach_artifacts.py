"""client: read the `square` artifact of every task of the latest FanoutFlow run's foreach step."""

from braidflow import Flow, namespace

namespace(None)
run = Flow("FanoutFlow").latest_successful_run
squares = [task.data.square for task in run["work"]]
print(len(squares), sum(squares))
