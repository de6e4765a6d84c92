from braidflow import FlowSpec, retry, step


class MisuseFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @retry(tims=3)
    @step
    def end(self):
        pass


if __name__ == "__main__":
    MisuseFlow()
