from braidflow import FlowSpec, retry, step


class MisuseFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    @retry
    def end(self):
        pass


if __name__ == "__main__":
    MisuseFlow()
