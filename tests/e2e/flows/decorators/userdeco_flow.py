import os

from userdecos import api, editor, inner, outer, record_attributes, replace, skip, swallow

from braidflow import FlowSpec, step


class UserDecoFlow(FlowSpec):
    @outer
    @inner
    @step
    def start(self):
        self.order = [*self.order, "body:start"]
        self.value = 1
        self.scratch = "temporary"
        self.next(self.edited)

    @editor
    @step
    def edited(self):
        self.value = self.value + 1
        self.scratch = "still temporary"
        self.next(self.failing)

    @swallow
    @step
    def failing(self):
        raise ValueError("broken step")
        self.next(self.replaced)

    @replace(goto="branch_b")
    @step
    def replaced(self):
        self.replaced_by = "original"
        self.route = "a"
        self.next({"a": self.branch_a, "b": self.branch_b}, condition="route")

    @step
    def branch_a(self):
        self.branch = "a"
        self.next(self.skipped)

    @step
    def branch_b(self):
        self.branch = "b"
        self.next(self.skipped)

    @skip
    @step
    def skipped(self):
        self.should_not_exist = True
        self.next(self.split)

    @step
    def split(self):
        self.next(self.left, self.right)

    @api
    @step
    def left(self):
        self.doubled = self.helper(21)
        self.next(self.join)

    @step
    def right(self):
        self.doubled = 0
        self.next(self.join)

    @record_attributes(mode="join", level=3)
    @step
    def join(self, inputs):
        self.doubled = max(i.doubled for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        self.env_marker = os.environ.get("MARKER")


if __name__ == "__main__":
    UserDecoFlow()
