import time

from braidflow import FlowSpec, current, retry, step


class RetryDelayFlow(FlowSpec):
    @retry(times=1, minutes_between_retries=0.03)
    @step
    def start(self):
        print(f"started {time.time()}")
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    RetryDelayFlow()
