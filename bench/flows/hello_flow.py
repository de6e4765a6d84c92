"""hello: the smallest real flow (start -> hello -> end), so its time is the framework's fixed cost."""

from braidflow import FlowSpec, step


class HelloFlow(FlowSpec):
    """Three linear steps, one small artifact."""

    @step
    def start(self):
        self.message = "hello"
        self.next(self.hello)

    @step
    def hello(self):
        self.message = self.message + " world"
        self.next(self.end)

    @step
    def end(self):
        print(self.message)


if __name__ == "__main__":
    HelloFlow()
