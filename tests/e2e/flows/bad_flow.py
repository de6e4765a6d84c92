from braidflow import FlowSpec, step


class BadFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BadFlow()
