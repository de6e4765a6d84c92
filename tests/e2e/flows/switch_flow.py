from braidflow import FlowSpec, step


class SwitchFlow(FlowSpec):
    @step
    def start(self):
        self.count = 0
        self.next(self.loop)

    @step
    def loop(self):
        self.count += 1
        self.decision = "again" if self.count < 3 else "done"
        self.next({"again": self.loop, "done": self.finish}, condition="decision")

    @step
    def finish(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SwitchFlow()
