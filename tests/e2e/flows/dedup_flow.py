from braidflow import FlowSpec, step


class DedupFlow(FlowSpec):
    @step
    def start(self):
        self.big = list(range(100_000))
        self.copy = list(range(100_000))
        self.next(self.end)

    @step
    def end(self):
        self.again = list(range(100_000))


if __name__ == "__main__":
    DedupFlow()
