from braidflow import FlowSpec, Parameter, step


class RequiredFlow(FlowSpec):
    size = Parameter("size", type=int, required=True, help="how big")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        self.doubled = self.size * 2


if __name__ == "__main__":
    RequiredFlow()
