"""A linear flow that exercises parameters, constants, IncludeFile and current."""

from braidflow import FlowSpec, IncludeFile, JSONType, Parameter, current, step


class LinearFlow(FlowSpec):
    """Three steps in a row."""

    GREETING = "hello"

    alpha = Parameter("alpha", default=0.5, help="learning rate")
    count = Parameter("count", default=3, help="how many")
    who = Parameter("who", default="world")
    flag = Parameter("flag", default=False, type=bool)
    config = Parameter("config", default='{"a": 1}', type=JSONType)
    ids = Parameter("ids", default="1,2,3", separator=",", type=int)
    notes = IncludeFile("notes", default="notes.txt", required=False)

    @step
    def start(self):
        """Record what current says."""
        self.seen = {
            "flow_name": current.flow_name,
            "run_id": current.run_id,
            "step_name": current.step_name,
            "task_id": current.task_id,
            "pathspec": current.pathspec,
            "retry_count": current.retry_count,
            "namespace": current.namespace,
            "username": current.username,
            "tags": sorted(current.tags),
            "is_running_flow": current.is_running_flow,
            "parameter_names": sorted(current.parameter_names),
            "origin_run_id": current.origin_run_id,
        }
        self.greeting = f"{self.GREETING} {self.who}"
        print("starting", self.greeting)
        self.next(self.middle)

    @step
    def middle(self):
        self.scaled = self.alpha * self.count
        self.items = [1, 2, 3]
        self.items.append(4)
        self._private = "hidden"
        self.next(self.end)

    @step
    def end(self):
        print("scaled is", self.scaled)
        self.notes_seen = self.notes


if __name__ == "__main__":
    LinearFlow()
