"""Class-level constants are artifacts: readable in every step, read-only, stored once.

UNPICKLABLE=1 adds a constant that cannot be stored.

start -> (left, right) -> join -> fan (foreach) -> fan_join -> end
"""

import os
import threading

from braidflow import FlowSpec, Parameter, current, step


class Base(FlowSpec):
    base_const = "from the base class"
    shadowed = "a constant in the base class, a method in the flow"


class ConstantsFlow(Base):
    int_const = 123
    str_const = "a constant string"
    obj_const = []
    big_const = list(range(3000))  # too big to travel inline: one blob in the datastore
    alpha = Parameter("alpha", default=0.5)
    _private = "not an artifact"
    if os.environ.get("UNPICKLABLE"):
        lock = threading.Lock()

    @property
    def a_property(self):
        return "not an artifact"

    @staticmethod
    def a_static():
        return "not an artifact"

    @classmethod
    def a_classmethod(cls):
        return "not an artifact"

    def helper(self):
        return "not an artifact"

    def shadowed(self):
        return "not an artifact either"

    def read_constants(self):
        """What this step reads of the constants (every step calls it)."""
        self.read_here = (self.int_const, self.str_const, self.obj_const, self.base_const)

    @step
    def start(self):
        self.read_constants()
        self.seen = (self.int_const, self.str_const, self.obj_const, self.base_const, len(self.big_const))
        self.parameter_names = current.parameter_names
        try:
            self.int_const = 5
        except AttributeError as exc:
            self.assign_error = str(exc)
        self.next(self.left, self.right)

    @step
    def left(self):
        self.read_constants()
        self.next(self.join)

    @step
    def right(self):
        self.read_constants()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.read_constants()
        self.after_join = (self.int_const, self.str_const)
        self.items = [1, 2]
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        self.read_constants()
        self.next(self.fan_join)

    @step
    def fan_join(self, inputs):
        self.read_constants()
        try:
            self.str_const = "changed in a join"
        except AttributeError as exc:
            self.join_assign_error = str(exc)
        self.next(self.end)

    @step
    def end(self):
        self.read_constants()
        self.at_end = self.int_const


if __name__ == "__main__":
    ConstantsFlow()
