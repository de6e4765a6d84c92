from braidflow import FlowSpec, current, retry, step


class ExhaustFlow(FlowSpec):
    @retry(times=2, minutes_between_retries=0)
    @step
    def start(self):
        print(f"try {current.retry_count}")
        raise ValueError(f"always fails ({current.retry_count})")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ExhaustFlow()
