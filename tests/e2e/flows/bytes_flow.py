import sys

from braidflow import FlowSpec, step


class BytesFlow(FlowSpec):
    @step
    def start(self):
        sys.stdout.buffer.write(b"bad bytes \xff\xfe end\n")
        sys.stdout.flush()
        print("caf\u00e9")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BytesFlow()
