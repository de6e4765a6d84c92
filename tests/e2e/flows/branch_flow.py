from braidflow import FlowSpec, step


class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.shared = "same"
        self.x = 0
        self.next(self.left, self.right)

    @step
    def left(self):
        self.x = 1
        self.side = "L"
        self.next(self.join)

    @step
    def right(self):
        self.x = 2
        self.side = "R"
        self.next(self.join)

    @step
    def join(self, inputs):
        self.by_name = (inputs.left.x, inputs.right.x)
        self.by_index = [inp.x for inp in inputs]
        self.count = len(inputs)
        self.x = max(inp.x for inp in inputs)
        self.side = "both"
        self.merge_artifacts(inputs)
        self.next(self.end)

    @step
    def end(self):
        self.final = (self.shared, self.x, self.side)


if __name__ == "__main__":
    BranchFlow()
