import sys

from braidflow import FlowSpec, Parameter, step


class ChattyFlow(FlowSpec):
    lines = Parameter("lines", default=1000)

    @step
    def start(self):
        for i in range(self.lines):
            print(f"line {i}")
        print("to stderr", file=sys.stderr)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ChattyFlow()
