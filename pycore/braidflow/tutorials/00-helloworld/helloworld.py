"""Episode 00: a three-step flow that prints and stores a message.

Run it with `python helloworld.py run`, look at its graph with `python helloworld.py show`, then
read the stored message back with `python read_back.py`.
"""

from braidflow import FlowSpec, current, step


class HelloFlow(FlowSpec):
    """A flow where braidflow says hi: start -> hello -> end."""

    @step
    def start(self) -> None:
        """Every flow begins with a step named start."""
        print("HelloFlow is starting.")
        self.next(self.hello)

    @step
    def hello(self) -> None:
        """Store a message: every attribute set on self is saved as an artifact of the run."""
        self.message = "Hi from braidflow!"
        print(self.message, f"(task {current.pathspec})")
        self.next(self.end)

    @step
    def end(self) -> None:
        """Every flow ends with a step named end; artifacts flow down from earlier steps."""
        print(f"HelloFlow is all done. The message was: {self.message}")


if __name__ == "__main__":
    HelloFlow()
