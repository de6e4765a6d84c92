from braidflow import FlowSpec, step, user_step_decorator


@user_step_decorator
def timed(step_name, flow, inputs=None, attributes=None):
    print("before", step_name)  # forgot the `yield`


class NoYieldFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @timed
    @step
    def end(self):
        pass


if __name__ == "__main__":
    NoYieldFlow()
